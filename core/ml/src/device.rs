//! Which dfdx device a run trains on: the spec's `device: auto|cpu|cuda`
//! resolved against how the crate was built and what the machine has.

use std::str::FromStr;

/// What a spec asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA when built with the `cuda` feature and a GPU answers; else CPU.
    Auto,
    /// Always the CPU.
    Cpu,
    /// CUDA, or an error.
    Cuda,
}

/// Why a device cannot be had.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    /// The spec names a device that does not exist.
    #[error("unknown device `{0}` (expected auto, cpu or cuda)")]
    Unknown(String),
    /// `cuda` was asked for but this build has no CUDA support.
    #[error("device `cuda` was asked for, but this build has no CUDA support (rebuild with `--features cuda`)")]
    NotBuilt,
    /// `cuda` was asked for but no GPU could be opened.
    #[error("device `cuda` was asked for, but no CUDA device could be opened: {0}")]
    Unavailable(String),
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            other => Err(DeviceError::Unknown(other.to_string())),
        }
    }
}

/// The device a run will use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolvedDevice {
    /// dfdx's `Cpu`.
    Cpu,
    /// dfdx's `Cuda` on GPU 0.
    Cuda,
}

impl ResolvedDevice {
    /// `cpu` or `cuda`, as summaries record it.
    pub fn name(self) -> &'static str {
        match self {
            ResolvedDevice::Cpu => "cpu",
            ResolvedDevice::Cuda => "cuda",
        }
    }
}

/// Whether this build can train on CUDA.
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// Resolves a choice: `auto` prefers CUDA when built and present.
pub fn resolve(choice: DeviceChoice) -> Result<ResolvedDevice, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(ResolvedDevice::Cpu),
        DeviceChoice::Cuda => cuda_present().map(|_| ResolvedDevice::Cuda),
        DeviceChoice::Auto => Ok(if cuda_present().is_ok() {
            ResolvedDevice::Cuda
        } else {
            ResolvedDevice::Cpu
        }),
    }
}

/// A seeded CPU device.
pub fn cpu(seed: u64) -> dfdx::tensor::Cpu {
    dfdx::tensor::Cpu::seed_from_u64(seed)
}

/// A seeded CUDA device on GPU 0.
#[cfg(feature = "cuda")]
pub fn cuda(seed: u64) -> Result<dfdx::tensor::Cuda, DeviceError> {
    dfdx::tensor::Cuda::try_build(0, seed).map_err(|e| DeviceError::Unavailable(format!("{e:?}")))
}

#[cfg(feature = "cuda")]
fn cuda_present() -> Result<(), DeviceError> {
    cuda(0).map(|_| ())
}

#[cfg(not(feature = "cuda"))]
fn cuda_present() -> Result<(), DeviceError> {
    Err(DeviceError::NotBuilt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;

    #[test]
    fn parses_choices_and_refuses_others() {
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda));
        assert_eq!(
            "gpu".parse::<DeviceChoice>(),
            Err(DeviceError::Unknown("gpu".into()))
        );
    }

    #[test]
    #[cfg(not(feature = "cuda"))]
    fn cpu_build_resolves_auto_to_cpu_and_refuses_cuda() {
        assert_eq!(resolve(DeviceChoice::Auto), Ok(ResolvedDevice::Cpu));
        assert_eq!(resolve(DeviceChoice::Cuda), Err(DeviceError::NotBuilt));
    }

    #[test]
    fn seeded_cpu_devices_agree() {
        let a: Tensor<Rank1<8>, f32, _> = cpu(7).sample_normal();
        let b: Tensor<Rank1<8>, f32, _> = cpu(7).sample_normal();
        assert_eq!(a.array(), b.array());
    }
}
