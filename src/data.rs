//! The packed MNIST asset (`www/data/mnist.tlm`, made by `scripts/pack-mnist`): parsing and
//! validation, the fixed train/test split, class subsets, tiny-task subsets and batch order.

use crate::error::LabError;
use crate::rng::SplitMix64;

pub const MAGIC: &[u8; 8] = b"TLMNIST1";
pub const HEADER_LEN: usize = 36;
pub const SIDE: usize = 28;
pub const PIXELS: usize = SIDE * SIDE;
pub const NUM_CLASSES: usize = 10;
/// The asset as committed: 10,000 digits, FNV-1a 64 of its uncompressed payload.
pub const EXPECTED_COUNT: usize = 10_000;
pub const EXPECTED_FNV: u64 = 0x2b26_c333_2406_cee9;

/// The digits of the asset: labels and uint8 pixels, train split first.
#[derive(Clone, Debug)]
pub struct Dataset {
    labels: Vec<u8>,
    pixels: Vec<u8>, // [count, 28 * 28]
    train_len: usize,
}

/// Which part of the fixed split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

impl Dataset {
    /// Parses and validates the packed asset: magic, sizes, compressed length, checksum, labels.
    pub fn parse(bytes: &[u8]) -> Result<Self, LabError> {
        let err = |m: String| LabError::Data(m);
        if bytes.is_empty() {
            return Err(err("the file is empty (missing or not served?)".into()));
        }
        if bytes.len() < HEADER_LEN {
            return Err(err(format!("truncated: {} bytes, the header alone is {HEADER_LEN}", bytes.len())));
        }
        if &bytes[..8] != MAGIC {
            return Err(err("not a Transfer Lab MNIST file (bad magic)".into()));
        }
        let count = read_u32(bytes, 8) as usize;
        let (rows, cols) = (read_u32(bytes, 12) as usize, read_u32(bytes, 16) as usize);
        let train_len = read_u32(bytes, 20) as usize;
        let checksum = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
        let zlen = read_u32(bytes, 32) as usize;
        if rows != SIDE || cols != SIDE {
            return Err(err(format!("images are {rows}×{cols}, expected {SIDE}×{SIDE}")));
        }
        if count == 0 || train_len == 0 || train_len >= count {
            return Err(err(format!("bad split: {train_len} train of {count} images")));
        }
        let body = &bytes[HEADER_LEN..];
        if body.len() < zlen {
            return Err(err(format!("truncated: {} of {zlen} compressed bytes", body.len())));
        }
        let expected = count * (1 + PIXELS);
        let payload = miniz_oxide::inflate::decompress_to_vec_with_limit(&body[..zlen], expected)
            .map_err(|e| err(format!("corrupt compressed data ({:?})", e.status)))?;
        if payload.len() != expected {
            return Err(err(format!("payload is {} bytes, expected {expected}", payload.len())));
        }
        if fnv1a64(&payload) != checksum {
            return Err(err("checksum mismatch: the file is corrupt".into()));
        }
        let (labels, pixels) = payload.split_at(count);
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= NUM_CLASSES) {
            return Err(err(format!("label {bad} out of range 0..=9")));
        }
        Ok(Self { labels: labels.to_vec(), pixels: pixels.to_vec(), train_len })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn train_len(&self) -> usize {
        self.train_len
    }

    pub fn test_len(&self) -> usize {
        self.len() - self.train_len
    }

    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    /// The 784 pixels of one image, 0..=255.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * PIXELS..(index + 1) * PIXELS]
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    pub fn split_range(&self, split: Split) -> std::ops::Range<usize> {
        match split {
            Split::Train => 0..self.train_len,
            Split::Test => self.train_len..self.len(),
        }
    }

    /// Images per class over the whole asset.
    pub fn per_class(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Indices (into the asset) of the images of `split` whose label is in `classes`, in order.
    pub fn indices_of(&self, split: Split, classes: &ClassSet) -> Vec<usize> {
        self.split_range(split).filter(|&i| classes.contains(self.labels[i])).collect()
    }
}

/// The classes of a task, in the order that defines the head's outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassSet {
    classes: Vec<u8>,
}

impl ClassSet {
    /// `classes` must be distinct digits 0..=9, at least two of them.
    pub fn new(field: &str, classes: &[i64]) -> Result<Self, LabError> {
        if classes.len() < 2 {
            return Err(LabError::config(field, "needs at least two distinct classes"));
        }
        let mut out = Vec::with_capacity(classes.len());
        for &c in classes {
            if !(0..NUM_CLASSES as i64).contains(&c) {
                return Err(LabError::config(field, format!("class {c} is out of range 0..=9")));
            }
            if out.contains(&(c as u8)) {
                return Err(LabError::config(field, format!("class {c} is listed twice")));
            }
            out.push(c as u8);
        }
        Ok(Self { classes: out })
    }

    pub fn all() -> Self {
        Self { classes: (0..NUM_CLASSES as u8).collect() }
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn digits(&self) -> &[u8] {
        &self.classes
    }

    pub fn contains(&self, digit: u8) -> bool {
        self.classes.contains(&digit)
    }

    /// The head's output index of a digit of this set.
    pub fn target_of(&self, digit: u8) -> Option<usize> {
        self.classes.iter().position(|&c| c == digit)
    }
}

/// A labelled set of images of one task, on the host: asset indices and head targets.
#[derive(Clone, Debug)]
pub struct TaskSplit {
    pub indices: Vec<usize>,
    pub targets: Vec<u32>,
}

impl TaskSplit {
    pub fn new(data: &Dataset, indices: Vec<usize>, classes: &ClassSet) -> Self {
        let targets = indices
            .iter()
            .map(|&i| classes.target_of(data.label(i)).expect("index filtered by class") as u32)
            .collect();
        Self { indices, targets }
    }

    /// Every image of `split` whose label is in `classes`.
    pub fn of_classes(data: &Dataset, split: Split, classes: &ClassSet) -> Self {
        Self::new(data, data.indices_of(split, classes), classes)
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Keeps the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.indices.truncate(n);
        self.targets.truncate(n);
    }

    /// Pixels scaled to [0, 1], [N * 784].
    pub fn pixels_f32(&self, data: &Dataset) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.len() * PIXELS);
        for &i in &self.indices {
            out.extend(data.image(i).iter().map(|&p| p as f32 / 255.0));
        }
        out
    }
}

/// The order in which a run visits its training images: reshuffled every epoch, from a seed.
#[derive(Clone, Debug)]
pub struct BatchSampler {
    order: Vec<u32>,
    cursor: usize,
    rng: SplitMix64,
}

impl BatchSampler {
    pub fn new(len: usize, seed: u64) -> Self {
        let mut sampler = Self { order: (0..len as u32).collect(), cursor: 0, rng: SplitMix64::derive(seed, 2) };
        sampler.rng.shuffle(&mut sampler.order);
        sampler
    }

    /// The next `size` positions (into the task split). A batch larger than the split repeats
    /// images, drawn from successive epochs.
    pub fn next_batch(&mut self, size: usize) -> Vec<i32> {
        let mut batch = Vec::with_capacity(size);
        while batch.len() < size {
            if self.cursor == self.order.len() {
                self.rng.shuffle(&mut self.order);
                self.cursor = 0;
            }
            batch.push(self.order[self.cursor] as i32);
            self.cursor += 1;
        }
        batch
    }
}

/// How many labelled images a tiny task gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SubsetSize {
    /// This fraction of the classes' training images together, split in proportion to their sizes
    /// (at least one per class): see [`fraction_counts`].
    Fraction(f64),
    /// This many training images per class (capped at what the class has).
    ShotsPerClass(usize),
}

/// A downstream task: its classes, how many training labels it gets, and which ones.
#[derive(Clone, Debug)]
pub struct TaskSpec {
    pub classes: ClassSet,
    pub size: SubsetSize,
    pub subset_seed: u64,
}

impl TaskSpec {
    /// The task's labelled training images: per class, a seeded random choice from the train
    /// split (stratified, so every class is present), in a fixed order.
    pub fn train_subset(&self, data: &Dataset) -> TaskSplit {
        let mut rng = SplitMix64::derive(self.subset_seed, 5);
        let pools: Vec<Vec<usize>> = self
            .classes
            .digits()
            .iter()
            .map(|&digit| data.split_range(Split::Train).filter(|&i| data.label(i) == digit).collect())
            .collect();
        let sizes: Vec<usize> = pools.iter().map(Vec::len).collect();
        let takes = match self.size {
            SubsetSize::Fraction(f) => fraction_counts(&sizes, f),
            SubsetSize::ShotsPerClass(k) => sizes.iter().map(|&n| k.min(n)).collect(),
        };
        let mut chosen = Vec::new();
        for (mut pool, take) in pools.into_iter().zip(takes) {
            rng.shuffle(&mut pool);
            pool.truncate(take);
            chosen.extend(pool);
        }
        chosen.sort_unstable();
        TaskSplit::new(data, chosen, &self.classes)
    }

    /// Every held-out image of the task's classes.
    pub fn test_split(&self, data: &Dataset) -> TaskSplit {
        TaskSplit::of_classes(data, Split::Test, &self.classes)
    }
}

/// How many images each class gives for `fraction` of the classes' `sizes` together:
/// round(fraction · total) images, split in proportion to the class sizes by largest remainder,
/// and at least one per (non-empty) class: 2 % of 782 and 789 images is 31, as 15 + 16.
pub fn fraction_counts(sizes: &[usize], fraction: f64) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let wanted = (total as f64 * fraction).round() as usize;
    let exact: Vec<f64> = sizes.iter().map(|&n| n as f64 * fraction).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut by_remainder: Vec<usize> = (0..sizes.len()).collect();
    by_remainder.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    // The floors fall short of `wanted` by at most one image per class, and a class whose floor
    // is its whole size has no remainder (fraction ≤ 1), so it is never topped up.
    let left = wanted.saturating_sub(counts.iter().sum());
    for &class in by_remainder.iter().take(left) {
        counts[class] += 1;
    }
    for (count, &size) in counts.iter_mut().zip(sizes) {
        *count = (*count).max(1).min(size);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::fraction_counts;

    #[test]
    fn fractions_split_the_rounded_total_by_largest_remainder() {
        assert_eq!(fraction_counts(&[782, 789], 0.02), vec![15, 16]); // 15.64 + 15.78 = 31.42 → 31
        assert_eq!(fraction_counts(&[800, 800, 800], 0.5), vec![400, 400, 400]);
        assert_eq!(fraction_counts(&[10, 10, 10], 0.05), vec![1, 1, 1], "at least one per class");
        assert_eq!(fraction_counts(&[3, 1000], 0.001), vec![1, 1]);
        assert_eq!(fraction_counts(&[5, 7], 1.0), vec![5, 7], "capped at the class size");
        for sizes in [[780, 801, 799], [1, 2, 3], [500, 0, 20]] {
            let counts = fraction_counts(&sizes, 0.3);
            assert!(counts.iter().zip(&sizes).all(|(&c, &n)| c <= n));
            let total: usize = sizes.iter().sum();
            assert!(counts.iter().sum::<usize>() >= (total as f64 * 0.3).round() as usize);
        }
    }
}
