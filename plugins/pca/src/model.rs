//! The mathematics of PCA, free of any plugin machinery so tests can call it
//! directly: fitting in closed form, encoding, reconstructing.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{get_global_parallelism, Accum, Mat, MatRef, Side};

/// Images handled per matrix product in [`PcaModel::encode`] and
/// [`PcaModel::project`], so memory stays bounded on large inputs.
const BATCH: usize = 1024;

/// A component whose variance is at most this fraction of the largest one is
/// treated as carrying no variance: whitening maps its code to 0 instead of
/// dividing by (almost) zero.
const WHITEN_RELATIVE_FLOOR: f64 = 1e-12;

/// How the principal directions are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Self-adjoint eigendecomposition of the `d × d` covariance. Used when
    /// `d <= n` (MNIST: `n = 8000`, `d = 784`): forming `XᵀX` costs
    /// `n·d²` flops (halved, only the lower triangle is computed) and the
    /// eigensolver works on a small `d × d` matrix, whereas a thin SVD of
    /// the `n × d` data would first reduce the tall matrix (a QR of about
    /// `2·n·d²` flops) and then iterate on the `d × d` factor, so roughly
    /// 2–3× the work for the same directions.
    Covariance,
    /// Thin SVD of the centred `d × n` data. Used when `d > n`, where the
    /// `d × d` covariance would be large and rank-deficient; its cost grows
    /// with `d·n²` instead of `d³`.
    Svd,
}

impl Method {
    /// The faster method for `n` samples of dimension `d`.
    pub fn for_shape(n: usize, d: usize) -> Method {
        if d <= n {
            Method::Covariance
        } else {
            Method::Svd
        }
    }
}

/// A fitted PCA: `x ≈ mean + V·Vᵀ(x − mean)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaModel {
    /// Per-dimension mean of the training data (`d` values).
    pub mean: Vec<f64>,
    /// Principal directions as the columns of a `d × k` matrix, orthonormal,
    /// sorted by decreasing variance; each is signed so that its entry of
    /// largest magnitude is positive (deterministic output).
    pub components: Mat<f64>,
    /// Variance of the training data along each component (the eigenvalues
    /// of the covariance `XᵀX / n`, i.e. `σ² / n`), non-increasing.
    pub variances: Vec<f64>,
    /// Total variance of the training data (trace of the covariance).
    pub total_variance: f64,
}

/// Why a fit failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitError(pub String);

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fits `k` principal components to `n` row-major samples of dimension `d`
/// (`data.len() == n * d`), choosing the method by [`Method::for_shape`].
pub fn fit_pca(data: &[f32], n: usize, d: usize, k: usize) -> Result<PcaModel, FitError> {
    fit_pca_with(data, n, d, k, Method::for_shape(n, d))
}

/// [`fit_pca`] with an explicit method.
pub fn fit_pca_with(
    data: &[f32],
    n: usize,
    d: usize,
    k: usize,
    method: Method,
) -> Result<PcaModel, FitError> {
    if data.len() != n * d {
        return Err(FitError(format!(
            "data holds {} values, expected {n} samples × {d} = {}",
            data.len(),
            n * d
        )));
    }
    if n == 0 || d == 0 {
        return Err(FitError(format!(
            "cannot fit PCA on {n} samples of dimension {d}"
        )));
    }
    if k == 0 || k > n.min(d) {
        return Err(FitError(format!(
            "components = {k} is out of range: it must be between 1 and min(samples, pixels) = min({n}, {d}) = {}",
            n.min(d)
        )));
    }

    // Mean, accumulated in f64.
    let mut mean = vec![0.0f64; d];
    for row in data.chunks_exact(d) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += x as f64;
        }
    }
    let inv_n = 1.0 / n as f64;
    for m in &mut mean {
        *m *= inv_n;
    }

    // Centred data as a column-major d × n matrix: column i is sample i, so
    // the copy reads the row-major input in order.
    let y = centred_columns(data, n, d, &mean);
    let total_variance = y.squared_norm_l2() * inv_n;
    let par = get_global_parallelism();

    // (directions d × r, variances r), r >= k, variances non-increasing.
    let (directions, variances): (Vec<Vec<f64>>, Vec<f64>) = match method {
        Method::Covariance => {
            // Lower triangle of C = Y Yᵀ / n (d × d); the eigensolver reads
            // only that triangle.
            let mut cov = Mat::<f64>::zeros(d, d);
            triangular::matmul(
                cov.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                y.as_ref(),
                BlockStructure::Rectangular,
                y.transpose(),
                BlockStructure::Rectangular,
                inv_n,
                par,
            );
            let evd = cov
                .self_adjoint_eigen(Side::Lower)
                .map_err(|e| FitError(format!("eigendecomposition failed: {e:?}")))?;
            // Eigenvalues come in non-decreasing order: take the last k.
            let u = evd.U();
            let s = evd.S().column_vector();
            (0..k)
                .map(|j| {
                    let c = d - 1 - j;
                    (u.col(c).iter().copied().collect(), s[c].max(0.0))
                })
                .unzip()
        }
        Method::Svd => {
            let svd = y
                .thin_svd()
                .map_err(|e| FitError(format!("SVD failed: {e:?}")))?;
            // Singular values come in non-increasing order.
            let u = svd.U();
            let s = svd.S().column_vector();
            (0..k)
                .map(|j| (u.col(j).iter().copied().collect(), s[j] * s[j] * inv_n))
                .unzip()
        }
    };

    let mut components = Mat::<f64>::zeros(d, k);
    for (j, mut dir) in directions.into_iter().enumerate() {
        // Sign convention: the entry of largest magnitude is positive.
        let pivot = dir.iter().copied().fold(
            0.0f64,
            |best, v| if v.abs() > best.abs() { v } else { best },
        );
        if pivot < 0.0 {
            for v in &mut dir {
                *v = -*v;
            }
        }
        components.col_as_slice_mut(j).copy_from_slice(&dir);
    }

    Ok(PcaModel {
        mean,
        components,
        variances,
        total_variance,
    })
}

/// `data` (row-major `n × d`) minus `mean`, as a column-major `d × n` matrix.
fn centred_columns(data: &[f32], n: usize, d: usize, mean: &[f64]) -> Mat<f64> {
    let mut y = Mat::<f64>::zeros(d, n);
    for (i, row) in data.chunks_exact(d).enumerate() {
        for ((dst, &x), &m) in y.col_as_slice_mut(i).iter_mut().zip(row).zip(mean) {
            *dst = x as f64 - m;
        }
    }
    y
}

impl PcaModel {
    /// Dimension `d` of the samples.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Number of components `k` (the code size).
    pub fn k(&self) -> usize {
        self.variances.len()
    }

    /// Number of floats the model stores (mean, components, variances,
    /// total variance).
    pub fn stored_floats(&self) -> usize {
        self.dim() + self.k() * self.dim() + self.k() + 1
    }

    /// Fraction of the training variance the components keep (1 when the
    /// data has no variance at all).
    pub fn explained_variance_ratio(&self) -> f64 {
        if self.total_variance > 0.0 {
            (self.variances.iter().sum::<f64>() / self.total_variance).min(1.0)
        } else {
            1.0
        }
    }

    /// Scale applied to each code value when whitening: `1/√variance`, or 0
    /// for a component without variance.
    fn whitening_scales(&self) -> Vec<f64> {
        let max = self.variances.iter().copied().fold(0.0f64, f64::max);
        self.variances
            .iter()
            .map(|&v| {
                if v > WHITEN_RELATIVE_FLOOR * max && v > 0.0 {
                    1.0 / v.sqrt()
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Calls `f(first_sample, codes)` for each batch of `data` (row-major
    /// `n × d`), with the `k × batch` codes `Vᵀ(x − mean)`.
    fn for_each_code_batch(&self, data: &[f32], n: usize, mut f: impl FnMut(usize, MatRef<f64>)) {
        let d = self.dim();
        let k = self.k();
        let par = get_global_parallelism();
        let mut start = 0;
        while start < n {
            let b = BATCH.min(n - start);
            let y = centred_columns(&data[start * d..(start + b) * d], b, d, &self.mean);
            let mut codes = Mat::<f64>::zeros(k, b);
            matmul(
                codes.as_mut(),
                Accum::Replace,
                self.components.transpose(),
                y.as_ref(),
                1.0,
                par,
            );
            f(start, codes.as_ref());
            start += b;
        }
    }

    /// Codes of `n` row-major samples: `k` values per sample, row-major
    /// `n × k`; divided by the component's standard deviation if `whiten`.
    pub fn encode(&self, data: &[f32], n: usize, whiten: bool) -> Vec<f32> {
        assert_eq!(data.len(), n * self.dim(), "encode: data size");
        let k = self.k();
        let scales = whiten.then(|| self.whitening_scales());
        let mut out = vec![0.0f32; n * k];
        self.for_each_code_batch(data, n, |start, codes| {
            for i in 0..codes.ncols() {
                let dst = &mut out[(start + i) * k..(start + i + 1) * k];
                for (j, v) in dst.iter_mut().enumerate() {
                    let c = codes[(j, i)];
                    *v = match &scales {
                        Some(s) => (c * s[j]) as f32,
                        None => c as f32,
                    };
                }
            }
        });
        out
    }

    /// Unclamped f64 reconstructions `mean + V·Vᵀ(x − mean)` of `n`
    /// row-major samples, row-major `n × d`.
    pub fn project(&self, data: &[f32], n: usize) -> Vec<f64> {
        assert_eq!(data.len(), n * self.dim(), "project: data size");
        let d = self.dim();
        let par = get_global_parallelism();
        let mut out = vec![0.0f64; n * d];
        self.for_each_code_batch(data, n, |start, codes| {
            let b = codes.ncols();
            let mut rec = Mat::<f64>::zeros(d, b);
            matmul(
                rec.as_mut(),
                Accum::Replace,
                self.components.as_ref(),
                codes,
                1.0,
                par,
            );
            for i in 0..b {
                let dst = &mut out[(start + i) * d..(start + i + 1) * d];
                for ((o, &r), &m) in dst.iter_mut().zip(rec.col_as_slice(i)).zip(&self.mean) {
                    *o = r + m;
                }
            }
        });
        out
    }

    /// Reconstructions as images: [`project`](Self::project) clamped to
    /// [0, 1], in f32.
    pub fn reconstruct(&self, data: &[f32], n: usize) -> Vec<f32> {
        self.project(data, n)
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0) as f32)
            .collect()
    }
}

/// Mean squared error between two equally long slices, accumulated in f64.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "mse: lengths differ");
    if a.is_empty() {
        return 0.0;
    }
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let e = x as f64 - y as f64;
            e * e
        })
        .sum();
    sum / a.len() as f64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers in [-1, 1) (SplitMix64).
    pub(crate) struct Rng(u64);

    impl Rng {
        pub(crate) fn new(seed: u64) -> Self {
            Rng(seed)
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        pub(crate) fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        }
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// `count` random vectors of length `len`, orthonormalised by modified
    /// Gram–Schmidt; with `centred`, each is first made zero-mean (so the
    /// vectors are also orthogonal to the all-ones vector).
    fn orthonormal(rng: &mut Rng, count: usize, len: usize, centred: bool) -> Vec<Vec<f64>> {
        let mut out: Vec<Vec<f64>> = Vec::new();
        while out.len() < count {
            let mut v: Vec<f64> = (0..len).map(|_| rng.uniform()).collect();
            if centred {
                let m = v.iter().sum::<f64>() / len as f64;
                v.iter_mut().for_each(|x| *x -= m);
            }
            for _ in 0..2 {
                for u in &out {
                    let p = dot(&v, u);
                    v.iter_mut().zip(u).for_each(|(x, y)| *x -= p * y);
                }
            }
            let norm = dot(&v, &v).sqrt();
            assert!(norm > 1e-6);
            v.iter_mut().for_each(|x| *x /= norm);
            out.push(v);
        }
        out
    }

    /// `n` samples in dimension `d`: `mean + Σ_j a_ij·s_j·e_j` where the
    /// `e_j` are orthonormal in ℝᵈ and the score columns `a_·j` are centred,
    /// mutually orthogonal and have unit (population) variance. The sample
    /// covariance `XᵀX/n` of the centred data is then exactly
    /// `Σ_j s_j² e_j e_jᵀ`: its eigenvalues are the `s_j²` (and zeros), known
    /// without any eigensolver (up to the rounding of the samples to f32).
    pub(crate) fn known_spectrum(seed: u64, n: usize, d: usize, scales: &[f64]) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        let r = scales.len();
        assert!(r <= d && r < n);
        let dirs = orthonormal(&mut rng, r, d, false);
        let scores = orthonormal(&mut rng, r, n, true);
        let mean: Vec<f64> = (0..d).map(|_| 0.5 + 0.3 * rng.uniform()).collect();
        let sqrt_n = (n as f64).sqrt();
        let mut data = vec![0.0f32; n * d];
        for i in 0..n {
            for p in 0..d {
                let mut v = mean[p];
                for j in 0..r {
                    v += scores[j][i] * sqrt_n * scales[j] * dirs[j][p];
                }
                data[i * d + p] = v as f32;
            }
        }
        data
    }

    /// The (population) sample covariance of row-major data, computed
    /// naively in f64.
    fn sample_covariance(data: &[f32], n: usize, d: usize) -> Vec<Vec<f64>> {
        let mut mean = vec![0.0; d];
        for row in data.chunks_exact(d) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x as f64 / n as f64;
            }
        }
        let mut cov = vec![vec![0.0; d]; d];
        for row in data.chunks_exact(d) {
            for a in 0..d {
                for b in 0..d {
                    cov[a][b] += (row[a] as f64 - mean[a]) * (row[b] as f64 - mean[b]) / n as f64;
                }
            }
        }
        cov
    }

    fn mse_f64(data: &[f32], rec: &[f64]) -> f64 {
        data.iter()
            .zip(rec)
            .map(|(&x, &r)| (x as f64 - r).powi(2))
            .sum::<f64>()
            / data.len() as f64
    }

    fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
        let rel = (actual - expected).abs() / expected.abs().max(1e-300);
        assert!(
            rel <= tol,
            "{what}: got {actual:e}, expected {expected:e} (relative error {rel:e})"
        );
    }

    /// Eigenvalues of a small symmetric matrix by the cyclic Jacobi method,
    /// in non-increasing order: an independent reference, sharing no code
    /// with faer.
    fn jacobi_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
        let d = a.len();
        for _sweep in 0..100 {
            let off: f64 = (0..d)
                .flat_map(|p| (0..d).filter(move |&q| q != p).map(move |q| (p, q)))
                .map(|(p, q)| a[p][q] * a[p][q])
                .sum();
            if off < 1e-30 {
                break;
            }
            for p in 0..d {
                for q in p + 1..d {
                    if a[p][q].abs() < 1e-300 {
                        continue;
                    }
                    let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                    let c = 1.0 / (t * t + 1.0).sqrt();
                    let s = t * c;
                    for row in a.iter_mut() {
                        let (arp, arq) = (row[p], row[q]);
                        row[p] = c * arp - s * arq;
                        row[q] = s * arp + c * arq;
                    }
                    let (lo, hi) = a.split_at_mut(q);
                    for (x, y) in lo[p].iter_mut().zip(hi[0].iter_mut()) {
                        let (apr, aqr) = (*x, *y);
                        *x = c * apr - s * aqr;
                        *y = s * apr + c * aqr;
                    }
                }
            }
        }
        let mut eig: Vec<f64> = (0..d).map(|i| a[i][i]).collect();
        eig.sort_by(|x, y| y.partial_cmp(x).unwrap());
        eig
    }

    /// Checks the optimum: the k-component MSE must equal the sum of the
    /// discarded eigenvalues of the sample covariance, divided by d.
    fn check_optimum(n: usize, d: usize, scales: &[f64], k: usize, method: Method) {
        let data = known_spectrum(7, n, d, scales);
        let model = fit_pca_with(&data, n, d, k, method).unwrap();
        let got = mse_f64(&data, &model.project(&data, n));

        // Independent reference: the eigenvalues of the covariance of the
        // actual (f32-rounded) samples, by Jacobi. By construction they are
        // the s_j² and zeros up to the rounding to f32.
        let eig = jacobi_eigenvalues(sample_covariance(&data, n, d));
        let mut sq: Vec<f64> = scales.iter().map(|s| s * s).collect();
        sq.sort_by(|a, b| b.partial_cmp(a).unwrap());
        sq.resize(d, 0.0);
        for (e, s) in eig.iter().zip(&sq) {
            assert!(
                (e - s).abs() < 1e-5 * sq[0],
                "construction: eigenvalue {e} vs s² = {s}"
            );
        }
        let trace: f64 = eig.iter().sum();
        let expected = eig[k..].iter().sum::<f64>() / d as f64;
        if expected > 1e-9 * trace {
            assert_rel(got, expected, 1e-6, &format!("{method:?} k = {k}: MSE"));
        } else {
            // k ≥ true rank: only f32 rounding noise is left.
            assert!(
                got < 1e-12 * trace,
                "{method:?} k = {k}: MSE {got:e} should be ≈ 0"
            );
        }

        // The reported variances are the top eigenvalues, the total is the
        // trace.
        for (j, v) in model.variances.iter().enumerate() {
            assert!(
                (v - eig[j]).abs() <= 1e-9 * eig[0],
                "variance {j}: {v} vs {}",
                eig[j]
            );
        }
        assert_rel(model.total_variance, trace, 1e-9, "total variance");
    }

    #[test]
    fn optimum_matches_discarded_eigenvalues_covariance_path() {
        // n = 50 > d = 6: the covariance eigendecomposition path.
        assert_eq!(Method::for_shape(50, 6), Method::Covariance);
        let scales = [3.0, 2.0, 1.0, 0.5, 0.25, 0.1];
        for k in 1..=6 {
            check_optimum(50, 6, &scales, k, Method::Covariance);
        }
    }

    #[test]
    fn optimum_matches_discarded_eigenvalues_svd_path() {
        // n = 8 < d = 20: the thin SVD path.
        assert_eq!(Method::for_shape(8, 20), Method::Svd);
        let scales = [4.0, 2.0, 1.0, 0.5, 0.2];
        for k in 1..=8 {
            check_optimum(8, 20, &scales, k, Method::Svd);
        }
    }

    #[test]
    fn rank_known_data_is_reconstructed_exactly_at_true_rank() {
        // Points on a 2-D affine subspace of ℝ⁶ (plus nothing else).
        for method in [Method::Covariance, Method::Svd] {
            let data = known_spectrum(11, 50, 6, &[2.0, 0.7]);
            let model = fit_pca_with(&data, 50, 6, 2, method).unwrap();
            let got = mse_f64(&data, &model.project(&data, 50));
            assert!(got < 1e-12, "{method:?}: MSE {got:e}");
            assert!((model.explained_variance_ratio() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn both_methods_agree() {
        let mut rng = Rng::new(3);
        let (n, d, k) = (40, 12, 5);
        let data: Vec<f32> = (0..n * d)
            .map(|i| (rng.uniform() * (1 + i % 5) as f64) as f32)
            .collect();
        let a = fit_pca_with(&data, n, d, k, Method::Covariance).unwrap();
        let b = fit_pca_with(&data, n, d, k, Method::Svd).unwrap();
        for j in 0..k {
            assert_rel(a.variances[j], b.variances[j], 1e-9, "variance");
            for p in 0..d {
                let (x, y) = (a.components[(p, j)], b.components[(p, j)]);
                assert!((x - y).abs() < 1e-8, "component {j}[{p}]: {x} vs {y}");
            }
        }
    }

    #[test]
    fn components_are_orthonormal() {
        let mut rng = Rng::new(5);
        let (n, d, k) = (200, 30, 10);
        let data: Vec<f32> = (0..n * d).map(|_| rng.uniform() as f32).collect();
        for method in [Method::Covariance, Method::Svd] {
            let model = fit_pca_with(&data, n, d, k, method).unwrap();
            let v = &model.components;
            for a in 0..k {
                for b in 0..k {
                    let g: f64 = (0..d).map(|p| v[(p, a)] * v[(p, b)]).sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!((g - want).abs() < 1e-5, "{method:?}: VᵀV[{a},{b}] = {g}");
                }
            }
            assert!(model.variances.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn whitened_codes_have_unit_variance() {
        let data = known_spectrum(13, 60, 8, &[3.0, 1.0, 0.2]);
        let model = fit_pca(&data, 60, 8, 3).unwrap();
        let codes = model.encode(&data, 60, true);
        for j in 0..3 {
            let var: f64 = codes
                .chunks_exact(3)
                .map(|c| (c[j] as f64).powi(2))
                .sum::<f64>()
                / 60.0;
            assert!((var - 1.0).abs() < 1e-4, "code {j} variance {var}");
        }
        // A component without variance maps to 0 rather than blowing up.
        let model = fit_pca(&data, 60, 8, 4).unwrap();
        let codes = model.encode(&data, 60, true);
        assert!(codes.chunks_exact(4).all(|c| c[3] == 0.0));
    }

    #[test]
    fn too_many_components_is_an_error() {
        let data = vec![0.5f32; 10 * 4];
        let err = fit_pca(&data, 10, 4, 5).unwrap_err();
        assert!(err.0.contains("components = 5"), "{err}");
        assert!(err.0.contains("min(10, 4) = 4"), "{err}");
        let err = fit_pca(&data[..3 * 4], 3, 4, 4).unwrap_err();
        assert!(err.0.contains("min(3, 4) = 3"), "{err}");
        assert!(fit_pca(&data, 10, 4, 0).is_err());
    }

    #[test]
    fn constant_data_fits() {
        let data = vec![0.25f32; 10 * 4];
        let model = fit_pca(&data, 10, 4, 2).unwrap();
        assert_eq!(model.explained_variance_ratio(), 1.0);
        assert!(model.reconstruct(&data, 10).iter().all(|&v| v == 0.25));
    }
}
