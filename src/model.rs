//! The notebook's ConvNet: a conv base (3 × Conv2d 16 filters 3×3, valid, optional ReLU, flatten
//! to 7,744 features) and heads on top of it. Weights are drawn on the host from a seed, so the
//! same seed gives the same net on every device.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::prelude::*;

use crate::data::SIDE;
use crate::rng::SplitMix64;

pub const FILTERS: usize = 16;
pub const KERNEL: usize = 3;
/// Side of the last feature map: 28 → 26 → 24 → 22.
pub const FEATURE_SIDE: usize = SIDE - 3 * (KERNEL - 1);
/// Flattened features of the base: 16 × 22 × 22.
pub const FEATURES: usize = FILTERS * FEATURE_SIDE * FEATURE_SIDE;

/// What follows each convolution. `None` reproduces the notebook exactly (its convs are linear).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    None,
}

impl Activation {
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::None => "none",
        }
    }
}

/// The shared convolutional base.
#[derive(Module, Debug)]
pub struct ConvBase {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub conv3: Conv2d,
    #[module(skip)]
    pub activation: Activation,
}

/// A base with a linear classification head.
#[derive(Module, Debug)]
pub struct Classifier {
    pub base: ConvBase,
    pub head: Linear,
}

/// Glorot (Xavier) uniform weights, Keras's default for conv and dense layers:
/// U(−√(6/(fan_in + fan_out)), +√(6/(fan_in + fan_out))); biases start at 0. Values are drawn on
/// the host in a fixed order. Measured against PyTorch's default (U(±1/√fan_in) for weights and
/// biases) on the notebook's 4-vs-9 protocol, 5 seeds: frozen 88.28 → 91.72 %, l2sp 88.94 →
/// 93.44 %, scratch 90.28 → 90.33 % (README, "Transfer").
fn glorot_values(rng: &mut SplitMix64, len: usize, fan_in: usize, fan_out: usize) -> Vec<f32> {
    let bound = (6.0 / (fan_in + fan_out) as f32).sqrt();
    (0..len).map(|_| rng.uniform(-bound, bound)).collect()
}

fn conv_layer(rng: &mut SplitMix64, channels_in: usize, device: &Device) -> Conv2d {
    let mut conv = Conv2dConfig::new([channels_in, FILTERS], [KERNEL, KERNEL]).init(device);
    let fan_in = channels_in * KERNEL * KERNEL;
    let weight = glorot_values(rng, FILTERS * fan_in, fan_in, FILTERS * KERNEL * KERNEL);
    let bias = vec![0.0; FILTERS];
    conv.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(weight, [FILTERS, channels_in, KERNEL, KERNEL]),
        device,
    ));
    conv.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [FILTERS]), device)));
    conv
}

/// A linear layer `inputs → outputs` with the Glorot init.
pub fn linear_layer(rng: &mut SplitMix64, inputs: usize, outputs: usize, device: &Device) -> Linear {
    let mut linear = LinearConfig::new(inputs, outputs).init(device);
    let weight = glorot_values(rng, inputs * outputs, inputs, outputs);
    let bias = vec![0.0; outputs];
    linear.weight = Param::from_tensor(Tensor::from_data(TensorData::new(weight, [inputs, outputs]), device));
    linear.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [outputs]), device)));
    linear
}

impl ConvBase {
    pub fn init(activation: Activation, seed: u64, device: &Device) -> Self {
        let mut rng = SplitMix64::derive(seed, 1);
        Self {
            conv1: conv_layer(&mut rng, 1, device),
            conv2: conv_layer(&mut rng, FILTERS, device),
            conv3: conv_layer(&mut rng, FILTERS, device),
            activation,
        }
    }

    fn act(&self, x: Tensor<4>) -> Tensor<4> {
        match self.activation {
            Activation::Relu => relu(x),
            Activation::None => x,
        }
    }

    /// [B, 1, 28, 28] → [B, 16, 22, 22] feature maps.
    pub fn feature_maps(&self, images: Tensor<4>) -> Tensor<4> {
        let x = self.act(self.conv1.forward(images)); // [B, 16, 26, 26]
        let x = self.act(self.conv2.forward(x)); // [B, 16, 24, 24]
        self.act(self.conv3.forward(x)) // [B, 16, 22, 22]
    }

    /// [B, 1, 28, 28] → [B, 7744] flattened features.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let [batch, _, _, _] = images.dims();
        self.feature_maps(images).reshape([batch, FEATURES])
    }
}

impl Classifier {
    /// A fresh base and head for `classes` outputs, from one seed.
    pub fn init(activation: Activation, classes: usize, seed: u64, device: &Device) -> Self {
        let base = ConvBase::init(activation, seed, device);
        let head = linear_layer(&mut SplitMix64::derive(seed, 3), FEATURES, classes, device);
        Self { base, head }
    }

    /// [B, 1, 28, 28] → [B, classes] logits.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.base.forward(images))
    }
}

/// A transposed convolution `channels_in → channels_out`, 3×3, stride 1: grows the side by 2.
fn conv_transpose_layer(rng: &mut SplitMix64, channels_in: usize, channels_out: usize, device: &Device) -> ConvTranspose2d {
    let mut conv = ConvTranspose2dConfig::new([channels_in, channels_out], [KERNEL, KERNEL]).init(device);
    let (fan_in, fan_out) = (channels_in * KERNEL * KERNEL, channels_out * KERNEL * KERNEL);
    let weight = glorot_values(rng, channels_in * channels_out * KERNEL * KERNEL, fan_in, fan_out);
    let bias = vec![0.0; channels_out];
    conv.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(weight, [channels_in, channels_out, KERNEL, KERNEL]),
        device,
    ));
    conv.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [channels_out]), device)));
    conv
}

/// The `masked` objective's decoder: the base's feature maps back to a full image, mirroring
/// the base with three 3×3 transposed convolutions (22 → 24 → 26 → 28).
#[derive(Module, Debug)]
pub struct Decoder {
    pub deconv1: ConvTranspose2d,
    pub deconv2: ConvTranspose2d,
    pub deconv3: ConvTranspose2d,
}

impl Decoder {
    pub fn init(seed: u64, device: &Device) -> Self {
        let mut rng = SplitMix64::derive(seed, 7);
        Self {
            deconv1: conv_transpose_layer(&mut rng, FILTERS, FILTERS, device),
            deconv2: conv_transpose_layer(&mut rng, FILTERS, FILTERS, device),
            deconv3: conv_transpose_layer(&mut rng, FILTERS, 1, device),
        }
    }

    /// [B, 16, 22, 22] feature maps → [B, 1, 28, 28] reconstructed pixels.
    pub fn forward(&self, maps: Tensor<4>) -> Tensor<4> {
        let x = relu(self.deconv1.forward(maps)); // [B, 16, 24, 24]
        let x = relu(self.deconv2.forward(x)); // [B, 16, 26, 26]
        self.deconv3.forward(x) // [B, 1, 28, 28]
    }
}

/// Width of the projection head's hidden layer and of its output (the contrastive embedding).
pub const PROJECTION_HIDDEN: usize = 128;
pub const PROJECTION_OUT: usize = 64;

/// The contrastive objectives' projection head (SimCLR): an MLP on the base's features. The
/// loss is computed on its output; the base below it is what transfers.
#[derive(Module, Debug)]
pub struct ProjectionHead {
    pub hidden: Linear,
    pub out: Linear,
}

impl ProjectionHead {
    pub fn init(seed: u64, device: &Device) -> Self {
        let mut rng = SplitMix64::derive(seed, 8);
        Self {
            hidden: linear_layer(&mut rng, FEATURES, PROJECTION_HIDDEN, device),
            out: linear_layer(&mut rng, PROJECTION_HIDDEN, PROJECTION_OUT, device),
        }
    }

    /// [B, 7744] features → [B, 64] embeddings (not yet normalised).
    pub fn forward(&self, features: Tensor<2>) -> Tensor<2> {
        self.out.forward(relu(self.hidden.forward(features)))
    }
}
