"""Evaluation under the fixed degradations, and the automatic choice scored from the LR file."""

import shutil

from upscaler.training.__main__ import degradation_list
from upscaler.training.evaluate import AutoChoice, bicubic_upscale, evaluate, markdown_table


def _benchmark_root(tmp_path, synthetic_train_root):
    root = tmp_path / "benchmarks"
    (root / "Tiny").mkdir(parents=True)
    for path in sorted(synthetic_train_root.glob("*.png"))[:3]:
        shutil.copy(path, root / "Tiny" / path.name)
    return root


def test_degraded_tables_score_the_same_images_lower_and_print_no_published_rows(tmp_path, synthetic_train_root):
    root = _benchmark_root(tmp_path, synthetic_train_root)
    methods = {"bicubic": bicubic_upscale(2)}
    clean = evaluate(methods, 2, root, ("Tiny",), "clean")["bicubic"]["Tiny"]
    real = evaluate(methods, 2, root, ("Tiny",), "real")["bicubic"]["Tiny"]
    assert clean.images == real.images == 3
    assert real.psnr < clean.psnr - 0.5
    text = markdown_table({"bicubic": {"Tiny": real}}, 4, ("Tiny",), "real")
    assert text.startswith("`real`:") and "published" not in text
    assert "published" in markdown_table({"bicubic": {"Tiny": clean}}, 4, ("Tiny",), "clean")


def test_the_automatic_choice_reads_each_lr_file(tmp_path, synthetic_train_root):
    root = _benchmark_root(tmp_path, synthetic_train_root)
    seen = []

    def recorder(name):
        def upscale(lr):
            seen.append(name)
            return bicubic_upscale(2)(lr)
        return upscale

    auto = AutoChoice(clean=("clean-model", recorder("clean-model")), photo=("photo", recorder("photo")))
    evaluate({"auto": auto}, 2, root, ("Tiny",), "jpeg75")
    assert seen == ["photo"] * 3 and auto.chosen == {"photo": 3}
    seen.clear()
    evaluate({"auto": auto}, 2, root, ("Tiny",), "clean")  # PNG files of smooth images: clean
    assert seen == ["clean-model"] * 3


def test_the_clean_table_always_comes_first():
    assert degradation_list("jpeg75,real") == ("clean", "jpeg75", "real")
    assert degradation_list("clean") == ("clean",)
