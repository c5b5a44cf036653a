//! Bad input to `tasim train`: a clear message (file, what is wrong, the fix) and exit code 2.

use crate::cli_support::{tasim, TempDir};
use rstest::rstest;

/// Run `tasim train` and check exit code 2 and that stderr holds every expected piece.
fn check(args: &[&str], expect: &[&str]) {
    let out = tasim(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

fn train_with(model: &str, dataset: &str) -> Vec<String> {
    ["train", "--model", model, "--dataset", dataset, "--epochs", "1"].iter().map(|s| s.to_string()).collect()
}

#[rstest]
#[case::syntax("tests/data/train/bad-syntax.yaml", &["bad-syntax.yaml:5:", "malformed model", "fix:"])]
#[case::unknown_field("tests/data/train/unknown-field.yaml", &["unknown-field.yaml:5:", "kernal", "fix:"])]
#[case::kernel_too_large("tests/data/train/kernel-too-large.yaml", &["kernel-too-large.yaml:8:3", "kernel 7 does not fit", "layers[3]", "fix:"])]
#[case::wrong_logits("tests/data/train/wrong-logits.yaml", &["wrong-logits.yaml:8:3", "7 outputs", "10 classes", "fix:"])]
#[case::relu_after_pool("tests/data/train/relu-after-pool.yaml", &["relu-after-pool.yaml:7:3", "relu after maxpool", "fix: write relu before maxpool"])]
#[case::learning_rate("tests/data/train/negative-learning-rate.yaml", &["negative-learning-rate.yaml:7:26", "-0.1", "training.optimizer.learning_rate", "fix:"])]
#[case::missing_model("tests/data/train/no-such-model.yaml", &["no-such-model.yaml", "cannot read the model file", "fix:"])]
// Found by the mutation sweep (issue 10): sizes whose products overflowed.
#[case::huge_input("tests/data/train/huge-width.yaml", &["huge-width.yaml", "has a dimension above 65536", "fix: use smaller inputs"])]
#[case::huge_layer("tests/data/train/huge-channels.yaml", &["huge-channels.yaml", "a size of this layer is above 65536", "fix:"])]
fn bad_model_files(#[case] model: &str, #[case] expect: &[&str]) {
    let args = train_with(model, "synth:personal");
    check(&args.iter().map(String::as_str).collect::<Vec<_>>(), expect);
}

#[rstest]
#[case::unknown_spec("models/paper-cnn.yaml", "mnist", &["--dataset 'mnist'", "unknown data set", "fix:"])]
#[case::bad_seed("models/paper-cnn.yaml", "synth:personal,seed=x", &["seed 'x'", "fix:"])]
#[case::synth_needs_grey("tests/data/train/three-channels.yaml", "synth:population", &["3x16x16", "fix:"])]
#[case::uci_wrong_size("models/paper-cnn.yaml", "uci", &["1x8x8", "expects 1x16x16", "models/uci-cnn.yaml"])]
#[case::missing_idx("models/paper-cnn.yaml", "idx:tests/data/train/none.idx,tests/data/train/tiny16-labels.idx", &["none.idx", "cannot read", "fix:"])]
#[case::truncated_idx(
    "models/paper-cnn.yaml",
    "idx:tests/data/train/tiny16-images-truncated.idx,tests/data/train/tiny16-labels.idx",
    &["tiny16-images-truncated.idx", "truncated or corrupt", "fix:"]
)]
#[case::label_out_of_range(
    "models/paper-cnn.yaml",
    "idx:tests/data/train/tiny16-images.idx,tests/data/train/tiny16-labels-out-of-range.idx",
    &["tiny16-labels-out-of-range.idx", "label 12", "fix:"]
)]
#[case::images_as_labels(
    "models/paper-cnn.yaml",
    "idx:tests/data/train/tiny16-images.idx,tests/data/train/tiny16-images.idx",
    &["3 dimensions where 1 are expected", "fix:"]
)]
#[case::idx_wrong_size("models/paper-cnn.yaml", "idx:tests/data/train/tiny28-images.idx,tests/data/train/tiny28-labels.idx", &["1x28x28", "expects 1x16x16"])]
fn bad_data_sets(#[case] model: &str, #[case] dataset: &str, #[case] expect: &[&str]) {
    let args = train_with(model, dataset);
    check(&args.iter().map(String::as_str).collect::<Vec<_>>(), expect);
}

#[test]
fn idx_files_that_fit_do_train() {
    let out = tasim(&[
        "train",
        "--model",
        "models/paper-cnn.yaml",
        "--dataset",
        "idx:tests/data/train/tiny16-images.idx,tests/data/train/tiny16-labels.idx",
        "--epochs",
        "1",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(no test set)"));
}

/// A copy of the shipped pre-trained weights with one file changed by `spoil`.
fn spoiled_weights(tmp: &TempDir, spoil: impl FnOnce(&std::path::Path)) -> String {
    let dir = tmp.path("w");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(crate::cli_support::root().join("models/paper-cnn.pretrained")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    spoil(&dir);
    dir.to_string_lossy().into_owned()
}

fn check_pretrained(dir: &str, expect: &[&str]) {
    check(&["train", "--model", "models/paper-cnn.yaml", "--dataset", "synth:personal", "--pretrained", dir], expect);
}

#[test]
fn missing_weights_directory() {
    check_pretrained(
        "tests/data/train/no-weights",
        &["no-weights/manifest.json", "cannot read the weights manifest", "fix:"],
    );
}

#[test]
fn truncated_npy_file() {
    let tmp = TempDir::new("npy-truncated");
    let dir = spoiled_weights(&tmp, |d| {
        let p = d.join("layer1.weight.npy");
        let b = std::fs::read(&p).unwrap();
        std::fs::write(&p, &b[..b.len() - 10]).unwrap();
    });
    check_pretrained(&dir, &["layer1.weight.npy", "truncated or corrupt", "fix:"]);
}

#[test]
fn npy_of_the_wrong_shape() {
    let tmp = TempDir::new("npy-shape");
    let dir = spoiled_weights(&tmp, |d| {
        std::fs::write(d.join("layer0.bias.npy"), train_math::npy::encode_f32(&[3], &[0.0, 1.0, 2.0])).unwrap();
    });
    check_pretrained(&dir, &["layer0.bias.npy", "shape [3]", "needs [8]", "fix:"]);
}

#[test]
fn not_an_npy_file() {
    let tmp = TempDir::new("npy-garbage");
    let dir = spoiled_weights(&tmp, |d| std::fs::write(d.join("layer2.weight.npy"), b"hello").unwrap());
    check_pretrained(&dir, &["layer2.weight.npy", "magic", "fix:"]);
}

#[test]
fn malformed_manifest() {
    let tmp = TempDir::new("manifest");
    let dir = spoiled_weights(&tmp, |d| std::fs::write(d.join("manifest.json"), "{\"format\": 3").unwrap());
    check_pretrained(&dir, &["manifest.json:1:", "malformed manifest", "fix:"]);
}

#[test]
fn weights_of_another_model() {
    check(
        &["train", "--model", "models/uci-cnn.yaml", "--dataset", "uci", "--pretrained", "models/paper-cnn.pretrained"],
        &["layer2.weight.npy", "shape [10, 256]", "needs [10, 64]", "fix:"],
    );
}

#[test]
fn master_bits_out_of_range_names_the_option() {
    check(
        &["train", "--model", "models/paper-cnn.yaml", "--dataset", "synth:personal", "--master-bits", "30"],
        &["--master-bits", "30", "fix:"],
    );
}
