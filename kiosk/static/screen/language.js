// The screen's words in Vietnamese and English, and which of the two is showing.
// Vietnamese is the default; English is for one citizen (rating.js switches back).

const TEXT = {
  vi: {
    question: "Ông/Bà đánh giá thế nào về sự phục vụ của cán bộ?",
    nobody: "Quầy tiếp nhận",
    switch: "English",
    reasons_title: "Ông/Bà có điều gì chưa hài lòng không?",
    reasons_hint: "Không bắt buộc. Có thể chọn nhiều điều, rồi bấm Gửi.",
    inspectors: "Phản ánh gây khó khăn, nhũng nhiễu, vòi vĩnh được gửi thẳng đến thanh tra, không gửi cho cán bộ tiếp dân.",
    buttons_legend: "Dùng nút bấm: nút ĐỎ (không hài lòng) là CÓ, nút XANH (rất hài lòng) là KHÔNG, nút giữa là XONG.",
    not_recorded: "Chưa ghi nhận được lựa chọn của Ông/Bà. Xin chọn lại rồi bấm Gửi.",
    press_not_recorded: "Ki-ốt gặp sự cố, chưa ghi nhận được đánh giá của Ông/Bà. Xin đợi ít phút rồi đánh giá lại.",
    ticket: (n) => (n ? `Số phiếu: ${n}` : "Số phiếu"),
    ticket_title: "Số thứ tự trên phiếu của Ông/Bà",
    ticket_hint: "Không bắt buộc. Giúp thanh tra liên hệ khi cần xác minh phản ánh.",
    ticket_clear: "Xoá",
    comment: (c) => (c ? "Góp ý ✓" : "Góp ý"),
    comment_title: "Góp ý ngắn của Ông/Bà",
    comment_hint: "Không bắt buộc. Bấm dấu sau khi gõ chữ: dấu đặt vào nguyên âm cuối của chữ.",
    space: "Cách",
    done: "Xong",
    send: "Gửi",
    thanks: "Cảm ơn Ông/Bà!",
    thanks_text: "Ý kiến của Ông/Bà đã được ghi nhận.",
    tracking_label: "Mã tra cứu của Ông/Bà:",
    tracking_board: "Xin Ông/Bà giữ lại mã này để theo dõi việc xử lý ý kiến của mình trên trang công khai:",
    tracking_no_board:
      "Xin Ông/Bà giữ lại mã này. Để biết việc xử lý ý kiến của mình, Ông/Bà hỏi tại bộ phận tiếp nhận và trả kết quả hoặc tra cứu trên Cổng thông tin điện tử của tỉnh.",
    closed: "Quầy đang tạm nghỉ",
    closed_text: "Xin Ông/Bà vui lòng chờ cán bộ quay lại hoặc liên hệ quầy khác.",
    pad_choose: "Cán bộ: chọn tên để bắt đầu ca",
    pad_hint: "Nhập mã PIN rồi bấm nút đỏ.",
    close: "Đóng",
    back: "Quay lại",
    ok: "Đăng nhập",
    sign_out: "Kết thúc ca: ",
    sign_out_who: "Kết thúc ca của ",
    page: "Trang ",
    wrong_pin: (n) => `Sai mã PIN. Còn ${n} lần thử.`,
    locked: (m) => `Đã khoá vì nhập sai nhiều lần. Thử lại sau ${m} phút.`,
    unknown_officer: "Không tìm thấy cán bộ này.",
    nobody_on_duty: "Không có cán bộ nào đang trong ca.",
    failed: "Chưa gửi được. Xin thử lại.",
  },
  en: {
    question: "How would you rate the officer's service?",
    nobody: "Reception desk",
    switch: "Tiếng Việt",
    reasons_title: "Was anything not right?",
    reasons_hint: "Optional. You may choose several, then press Send.",
    inspectors: "Reports of obstruction, harassment or requests for money go straight to the inspectors, never to the desk officer.",
    buttons_legend: "With the buttons: the RED one (not satisfied) says YES, the GREEN one (very satisfied) NO, the middle one DONE.",
    not_recorded: "Your choice could not be recorded. Please choose again and press Send.",
    press_not_recorded: "The kiosk has a fault and could not record your rating. Please wait a minute, then rate again.",
    ticket: (n) => (n ? `Ticket: ${n}` : "Ticket"),
    ticket_title: "The number on your queue ticket",
    ticket_hint: "Optional. It helps the inspectors reach you should they look into a report.",
    ticket_clear: "Clear",
    comment: (c) => (c ? "Comment ✓" : "Comment"),
    comment_title: "Your short comment",
    comment_hint: "Optional. A tone key marks the last vowel of the word just typed.",
    space: "Space",
    done: "Done",
    send: "Send",
    thanks: "Thank you!",
    thanks_text: "Your opinion has been recorded.",
    tracking_label: "Your tracking code:",
    tracking_board: "Please keep this code: with it you can follow what becomes of your opinion on the public board:",
    tracking_no_board:
      "Please keep this code. To learn what becomes of your opinion, ask at the reception desk or look it up on the province's web portal.",
    closed: "This desk is closed",
    closed_text: "Please wait for an officer to return or go to another desk.",
    pad_choose: "Officers: choose your name to start your shift",
    pad_hint: "Enter your PIN, then press the red key.",
    close: "Close",
    back: "Back",
    ok: "Sign in",
    sign_out: "End shift: ",
    sign_out_who: "End the shift of ",
    page: "Page ",
    wrong_pin: (n) => `Wrong PIN. ${n} ${n === 1 ? "try" : "tries"} left.`,
    locked: (m) => `Locked after too many wrong PINs. Try again in ${m} min.`,
    unknown_officer: "This officer is not known here.",
    nobody_on_duty: "Nobody is on duty.",
    failed: "Not sent. Please try again.",
  },
};

export let lang = "vi";

export function setLanguage(code) {
  lang = code;
}

// A sentence of the screen (a function for those with a number in them).
export const t = (key) => TEXT[lang][key];

// A label from the central config ({vi, en}); Vietnamese where it has no English.
export const label = (obj) => (obj && (obj[lang] || obj.vi)) || "";
