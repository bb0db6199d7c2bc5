// Short explanations beside the controls: what each objective and strategy changes, its formula,
// and when to reach for it. Plain HTML strings, our own words.
export const OBJECTIVES = {
  supervised: {
    title: "Supervised pretraining",
    html: `The conv base and a linear head learn to name the digits of a <em>base task</em>
      (by default the 8 digits that are neither 4 nor 9), with cross-entropy
      <code>−log p(y|x)</code>. Labels shape the features: they keep what separates those
      digits. <em>Shift</em> moves each training image by up to that many pixels (a new random
      move every step), so the features cannot lean on exact positions; with 2 pixels the base
      transfers better to 4 vs 9 than without. Use it when a related labelled task exists.`,
  },
  masked: {
    title: "Masked-region prediction (self-supervised)",
    html: `Part of each image is hidden (random rectangles or 4×4 patches, <em>mask ratio</em> of
      the pixels); the base encodes what is left and a small decoder of transposed convolutions
      redraws the image. The loss counts the hidden pixels only:
      <code>Σ (x̂ − x)²·(1 − m) / Σ (1 − m)</code>. No labels are read, so every training image
      can be used, 4s and 9s included.`,
  },
  contrastive: {
    title: "Contrastive learning on masked pairs (SimCLR, self-supervised)",
    html: `Each image is shown twice under two different masks. Base + a projection MLP map the
      2N views to unit vectors z, and NT-Xent pulls the two views of one image together while
      pushing the other 2N − 2 views away:
      <code>ℓᵢ = −log exp(zᵢ·zₚ/τ) / Σ<sub>k≠i</sub> exp(zᵢ·z<sub>k</sub>/τ)</code>.
      Masks <em>disjoint</em> make the two views share no visible pixel, so the net must match
      parts of a digit it never sees together. τ (temperature) sets how sharply hard negatives count;
      <em>shift</em> also moves each view by up to that many pixels, so position alone cannot match them.`,
  },
  supcon: {
    title: "Supervised contrastive (SupCon)",
    html: `The same two masked views, but every view of the same digit is a positive:
      <code>ℓᵢ = −1/|P(i)| Σ<sub>p∈P(i)</sub> log exp(zᵢ·zₚ/τ) / Σ<sub>k≠i</sub> exp(zᵢ·z<sub>k</sub>/τ)</code>.
      It uses the base task's labels (never the 4/9 labels), and clusters each digit together.`,
  },
};

export const STRATEGIES = {
  scratch: {
    title: "Scratch",
    html: `The same net from a random init, trained on the few labels only. The baseline every
      transfer strategy has to beat.`,
  },
  frozen: {
    title: "Frozen base (linear probe)",
    html: `The pretrained base does not move; only a new linear head trains. Few parameters, so it
      cannot overfit much — but it can only use the features the base already has.`,
  },
  full: {
    title: "Full fine-tuning",
    html: `Base and new head both train from the pretrained weights. The most flexible; with ~30
      labels the base can drift far from what it knew.`,
  },
  joint: {
    title: "Joint multi-task",
    html: `Two heads on one base; every step mixes a base-task batch and a new-task batch:
      <code>L = L<sub>base</sub> + λ·L<sub>new</sub></code>. The base task keeps the features
      honest while the new task pulls. Needs a supervised base.`,
  },
  l2sp: {
    title: "L2-SP penalty",
    html: `Full fine-tuning plus a pull back to the starting point:
      <code>α/2 ‖w − w₀‖²</code> on the base and <code>β/2 ‖W‖²</code> on the new head
      (Li et al., 2018). Its gradient is <code>α(w − w₀)</code>: a spring towards w₀.`,
  },
  ball: {
    title: "Projection into a ball around w₀",
    html: `Full fine-tuning, and after every step the base is put back inside a ball of radius ε
      around w₀ (per layer, or the whole base): L2 rescales the offset to length ε, L∞ clamps
      each weight to [w₀ − ε, w₀ + ε], L1 is the exact Euclidean projection onto the L1 ball (a
      soft threshold, so many weights return exactly to w₀). A hard bound instead of a spring.`,
  },
};
