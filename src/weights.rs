//! The weights file: the lab's pretrained base (with its head, when it has one) and the last
//! fine-tuned net, so a person can keep them and load them back.
//!
//! Layout: the magic `TLWEIGHTS1\n`, a u32 (little-endian) byte length, a JSON header naming
//! each net and each tensor with its shape, then every tensor's f32 values (little-endian) in
//! header order. Loading checks the magic, the lengths and every shape, and names what is wrong.

use burn::module::Param;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::ClassSet;
use crate::error::LabError;
use crate::model::{Activation, ConvBase, FEATURES, linear_layer};
use crate::rng::SplitMix64;

pub const MAGIC: &[u8; 11] = b"TLWEIGHTS1\n";

/// What the header says about one net.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetInfo {
    /// "supervised", "masked", … for a base; the strategy for a fine-tuned net.
    pub kind: String,
    /// The digits its head tells apart (for a base: the digits it learned from).
    pub classes: Vec<u8>,
    pub activation: String,
    pub has_head: bool,
    pub test_accuracy: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TensorEntry {
    name: String,
    shape: Vec<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Header {
    base: Option<NetInfo>,
    finetuned: Option<NetInfo>,
    tensors: Vec<TensorEntry>,
}

/// A net's weights on the host: base, optional head.
pub struct NetWeights {
    pub info: NetInfo,
    pub base: ConvBase,
    pub head: Option<Linear>,
}

async fn host_values<const D: usize>(tensor: Tensor<D>, name: &str) -> Result<Vec<f32>, LabError> {
    let data = tensor.into_data_async().await.map_err(|e| LabError::Device(format!("reading {name}: {e:?}")))?;
    Ok(data.iter::<f32>().collect())
}

/// Collects the named tensors of a base and head, in a fixed order.
fn named<'a>(prefix: &str, base: &'a ConvBase, head: Option<&'a Linear>) -> Vec<(String, Tensor<1>, Vec<usize>)> {
    let mut out = Vec::new();
    for (layer, conv) in [("conv1", &base.conv1), ("conv2", &base.conv2), ("conv3", &base.conv3)] {
        let weight = conv.weight.val();
        out.push((format!("{prefix}.{layer}.weight"), weight.clone().flatten::<1>(0, 3), weight.dims().to_vec()));
        if let Some(bias) = &conv.bias {
            out.push((format!("{prefix}.{layer}.bias"), bias.val(), bias.val().dims().to_vec()));
        }
    }
    if let Some(head) = head {
        let weight = head.weight.val();
        out.push((format!("{prefix}.head.weight"), weight.clone().flatten::<1>(0, 1), weight.dims().to_vec()));
        if let Some(bias) = &head.bias {
            out.push((format!("{prefix}.head.bias"), bias.val(), bias.val().dims().to_vec()));
        }
    }
    out
}

/// Writes the weights file for up to two nets (the base, the fine-tuned net).
pub async fn export(base: Option<(&NetInfo, &ConvBase, Option<&Linear>)>, finetuned: Option<(&NetInfo, &ConvBase, Option<&Linear>)>) -> Result<Vec<u8>, LabError> {
    let mut tensors = Vec::new();
    if let Some((_, b, h)) = base {
        tensors.extend(named("base", b, h));
    }
    if let Some((_, b, h)) = finetuned {
        tensors.extend(named("finetuned", b, h));
    }
    let header = Header {
        base: base.map(|(info, _, _)| info.clone()),
        finetuned: finetuned.map(|(info, _, _)| info.clone()),
        tensors: tensors.iter().map(|(name, _, shape)| TensorEntry { name: name.clone(), shape: shape.clone() }).collect(),
    };
    let header = serde_json::to_vec(&header).map_err(|e| LabError::Data(format!("weights header: {e}")))?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    for (name, tensor, _) in tensors {
        for v in host_values(tensor, &name).await? {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

fn bad(message: impl Into<String>) -> LabError {
    LabError::config("weights", message)
}

/// Reads a weights file: the base and the fine-tuned net it holds, on `device`.
pub fn import(bytes: &[u8], device: &Device) -> Result<(Option<NetWeights>, Option<NetWeights>), LabError> {
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| bad("not a Transfer Lab weights file (wrong magic)"))?;
    let (length, rest) = rest.split_first_chunk::<4>().ok_or_else(|| bad("truncated header"))?;
    let length = u32::from_le_bytes(*length) as usize;
    if rest.len() < length {
        return Err(bad("truncated header"));
    }
    let header: Header = serde_json::from_slice(&rest[..length]).map_err(|e| bad(format!("unreadable header: {e}")))?;
    let mut values = rest[length..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let expected: usize = header.tensors.iter().map(|t| t.shape.iter().product::<usize>()).sum();
    if rest.len() - length != expected * 4 {
        return Err(bad(format!("holds {} bytes of values, the header describes {}", rest.len() - length, expected * 4)));
    }
    let mut loaded = std::collections::HashMap::new();
    for entry in &header.tensors {
        let n: usize = entry.shape.iter().product();
        let data: Vec<f32> = values.by_ref().take(n).collect();
        if data.iter().any(|v| !v.is_finite()) {
            return Err(bad(format!("{} holds a non-finite value", entry.name)));
        }
        loaded.insert(entry.name.clone(), (entry.shape.clone(), data));
    }
    let mut net = |prefix: &str, info: &Option<NetInfo>| -> Result<Option<NetWeights>, LabError> {
        let Some(info) = info else { return Ok(None) };
        let activation = match info.activation.as_str() {
            "relu" => Activation::Relu,
            "none" => Activation::None,
            other => return Err(bad(format!("{prefix}: unknown activation \"{other}\""))),
        };
        let classes: Vec<i64> = info.classes.iter().map(|&c| c as i64).collect();
        ClassSet::new(&format!("weights.{prefix}.classes"), &classes)?;
        let mut take = |name: &str, shape: &[usize]| -> Result<Vec<f32>, LabError> {
            let key = format!("{prefix}.{name}");
            let (found, data) = loaded.remove(&key).ok_or_else(|| bad(format!("{key} is missing")))?;
            if found != shape {
                return Err(bad(format!("{key} has shape {found:?}, this net needs {shape:?}")));
            }
            Ok(data)
        };
        let mut base = ConvBase::init(activation, 0, device);
        for (layer, conv) in [("conv1", &mut base.conv1), ("conv2", &mut base.conv2), ("conv3", &mut base.conv3)] {
            set_conv(conv, take(&format!("{layer}.weight"), &conv.weight.val().dims())?, take(&format!("{layer}.bias"), &[conv.weight.val().dims()[0]])?, device);
        }
        let head = if info.has_head {
            let outputs = info.classes.len();
            let mut head = linear_layer(&mut SplitMix64::new(0), FEATURES, outputs, device);
            let weight = take("head.weight", &[FEATURES, outputs])?;
            let bias = take("head.bias", &[outputs])?;
            head.weight = Param::from_tensor(Tensor::from_data(TensorData::new(weight, [FEATURES, outputs]), device));
            head.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [outputs]), device)));
            Some(head)
        } else {
            None
        };
        Ok(Some(NetWeights { info: info.clone(), base, head }))
    };
    let base = net("base", &header.base)?;
    let finetuned = net("finetuned", &header.finetuned)?;
    Ok((base, finetuned))
}

fn set_conv(conv: &mut Conv2d, weight: Vec<f32>, bias: Vec<f32>, device: &Device) {
    let dims = conv.weight.val().dims();
    conv.weight = Param::from_tensor(Tensor::from_data(TensorData::new(weight, dims), device));
    conv.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [dims[0]]), device)));
}
