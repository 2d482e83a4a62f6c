// /dev: press a mock GPIO button and say what the kiosk answered.
"use strict";
document.addEventListener("click", (e) => {
  const button = e.target.closest("[data-dev-score]");
  if (!button) return;
  const score = button.dataset.devScore;
  const result = document.getElementById("result");
  fetch(`/dev/press/${score}`, { method: "POST" })
    .then((r) => r.json())
    .then((body) => {
      result.textContent = body.error ? body.error.message : `Đã nhấn nút ${score}. / Button ${score} pressed.`;
    })
    .catch(() => {
      result.textContent = "Ki-ốt không trả lời. / The kiosk does not answer.";
    });
});
