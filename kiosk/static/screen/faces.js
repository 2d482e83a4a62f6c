// How each rating level looks: a face drawn as inline SVG (nothing is fetched) and a
// colour. Okabe–Ito colours, told apart with every common colour-vision deficiency
// (and by lightness); each level also has its own face and words: colour is never
// the only cue.

// Satisfied levels from the best down, unsatisfied ones from the worst up.
const GOOD = ["#009e73", "#0072b2", "#56b4e9", "#8fa3b3"];
const BAD = ["#d55e00", "#e69f00", "#f0e442", "#cc79a7"];

// A face for mood -1 (frown) .. 1 (broad smile).
export function face(mood) {
  const y = 64 + 24 * mood;
  const ends = 66 - 4 * mood;
  return (
    '<svg class="face" viewBox="0 0 100 100" aria-hidden="true">' +
    '<circle class="disc" cx="50" cy="50" r="46"/>' +
    '<circle class="eye" cx="35" cy="40" r="6"/><circle class="eye" cx="65" cy="40" r="6"/>' +
    `<path class="mouth" d="M28 ${ends} Q50 ${y} 72 ${ends}"/></svg>`
  );
}

// {score: {mood, colour}} for each level, from where it stands against satisfied_from.
export function looks(scale) {
  const scores = scale.levels.map((l) => l.score).sort((a, b) => b - a);
  const from = scale.satisfied_from;
  const good = scores.filter((s) => s >= from);
  const bad = scores.filter((s) => s < from).reverse();
  const out = {};
  good.forEach((s, i) => {
    out[s] = { mood: good.length < 2 ? 1 : 1 - (0.65 * i) / (good.length - 1), colour: GOOD[Math.min(i, GOOD.length - 1)] };
  });
  bad.forEach((s, i) => {
    out[s] = { mood: bad.length < 2 ? -1 : -1 + (0.9 * i) / (bad.length - 1), colour: BAD[Math.min(i, BAD.length - 1)] };
  });
  return out;
}
