//! The autoencoders plugin through the real binary: training in a worker,
//! checkpoints per epoch, the VAE's prior-sample preview, the saved model.

use crate::harness::*;

#[test]
fn autoencoder_variants_train_checkpoint_and_save_through_the_worker() {
    let (dir, spec) = spec_dir(&format!(
        "name: ae\n{SMALL_DIGITS}train: {{epochs: 2, batch_size: 32, device: cpu}}\nparallel: 2\nruns:\n\
         - {{name: vae, plugin: autoencoders, variant: vae, params: {{code_size: 4, hidden: [32]}}}}\n\
         - {{name: denoising, plugin: autoencoders, variant: denoising, params: {{code_size: 8, hidden: [32]}}}}\n\
         - {{name: conv, plugin: autoencoders, variant: convolutional}}\n"
    ));
    let results = dir.path().join("results");
    let out = run_headless(dir.path(), &spec, &results);
    assert!(out.status.success(), "{}", text(&out));
    for name in ["vae", "denoising", "conv"] {
        let s = summary_named(&results, "ae", name);
        assert_eq!(s["status"], "done", "{name}: {s}");
        let mse = s["metrics"]["mse"].as_f64().unwrap();
        assert!(mse > 0.0 && mse < 0.3, "{name}: {s}");
    }
    for run_dir in run_dirs(&results, "ae") {
        let art = run_dir.join("artifacts");
        assert!(art.join("model/autoencoder.safetensors").is_file());
        assert!(art.join("checkpoints/epoch-2.safetensors").is_file());
        assert!(art.join("checkpoints/last.safetensors").is_file());
        let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
        assert!(metrics.contains(",val,loss,"), "{metrics}");
        assert!(metrics.contains(",train,epoch_loss,"));
        if metrics.contains(",train,elbo,") {
            assert!(art.join("previews/prior_samples.png").is_file());
        }
    }
}
