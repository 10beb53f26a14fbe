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

/// A family of types generic over the dfdx device, such as a plugin's
/// `Model<D>`: names the member for each device.
pub trait PerDevice {
    /// The member for device `D`.
    type On<D: dfdx::tensor_ops::Device<f32>>;
}

/// One value of family `F` on the device a run resolved to. Match it with
/// [`on_device!`](crate::on_device), which runs the same generic code on
/// whichever device it is; the `Cuda` variant exists in CUDA builds only.
pub enum OnDevice<F: PerDevice> {
    /// On dfdx's `Cpu`.
    Cpu(F::On<dfdx::tensor::Cpu>),
    /// On dfdx's `Cuda`.
    #[cfg(feature = "cuda")]
    Cuda(F::On<dfdx::tensor::Cuda>),
}

/// `per_device!(Family => Model)`: declares the unit struct `Family`, the
/// [`PerDevice`](crate::device::PerDevice) family of `Model<D>`, so that
/// `OnDevice<Family>` holds a `Model` on whichever device a run resolved to.
#[macro_export]
macro_rules! per_device {
    ($vis:vis $family:ident => $model:ident) => {
        /// The family of this plugin's model type, one member per dfdx device.
        $vis struct $family;

        impl $crate::device::PerDevice for $family {
            type On<D: $crate::__dfdx::tensor_ops::Device<f32>> = $model<D>;
        }
    };
}

/// `on_device!(value, m => body)`: runs `body` with `m` bound to the value
/// inside an [`OnDevice`](crate::device::OnDevice), whatever its device
/// (`value` may be owned, `&` or `&mut`).
#[cfg(feature = "cuda")]
#[macro_export]
macro_rules! on_device {
    ($value:expr, $m:ident => $body:expr) => {
        match $value {
            $crate::device::OnDevice::Cpu($m) => $body,
            $crate::device::OnDevice::Cuda($m) => $body,
        }
    };
}

/// `on_device!(value, m => body)`: runs `body` with `m` bound to the value
/// inside an [`OnDevice`](crate::device::OnDevice), whatever its device
/// (`value` may be owned, `&` or `&mut`).
#[cfg(not(feature = "cuda"))]
#[macro_export]
macro_rules! on_device {
    ($value:expr, $m:ident => $body:expr) => {
        match $value {
            $crate::device::OnDevice::Cpu($m) => $body,
        }
    };
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

    struct Buffers;
    impl PerDevice for Buffers {
        type On<D: Device<f32>> = Tensor<(usize,), f32, D>;
    }

    #[test]
    fn one_match_serves_every_device() {
        let dev = cpu(1);
        let mut value: OnDevice<Buffers> = OnDevice::Cpu(dev.tensor_from_vec(vec![1.0, 2.0], (2,)));
        let sum = |v: &OnDevice<Buffers>| crate::on_device!(v, t => t.as_vec().iter().sum::<f32>());
        assert_eq!(sum(&value), 3.0);
        crate::on_device!(&mut value, t => *t = t.clone() * 2.0);
        assert_eq!(sum(&value), 6.0);
    }

    #[test]
    fn seeded_cpu_devices_agree() {
        let a: Tensor<Rank1<8>, f32, _> = cpu(7).sample_normal();
        let b: Tensor<Rank1<8>, f32, _> = cpu(7).sample_normal();
        assert_eq!(a.array(), b.array());
    }
}
