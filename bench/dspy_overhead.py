"""What DSPy costs on top of llama.cpp: ``DspyLM`` + ``EntityExtractor`` vs the raw call.

Why: the worker runs every extraction through DSPy (adapter formatting, parsing, history).
On a 135M model a call is short, so a fixed per-call overhead could matter. The raw call gets
the very messages, grammar (``response_format``) and sampling arguments the engine sent:
they are captured from ``Llama.create_chat_completion`` during a DSPy call, so the only
difference between the modes is the DSPy layer. Both use one ``Llama`` (same threads); the
KV cache is reset before every call so each mode evaluates the full prompt.

It also compares the raw call's decode rate with llama.cpp's own perf counters
(``llama_perf_context``): the gap is llama-cpp-python's per-token work (Python generator,
grammar sampling, detokenizing), not the model.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import alternating, machine, median, private_db, ratio, table


def perf(llama: Any) -> dict[str, float]:
    """llama.cpp's own counters since the last reset: prompt/decode tokens and milliseconds."""
    import llama_cpp

    data = llama_cpp.llama_perf_context(llama._ctx.ctx)
    return {
        "n_p_eval": data.n_p_eval,
        "t_p_eval_ms": data.t_p_eval_ms,
        "n_eval": data.n_eval,
        "t_eval_ms": data.t_eval_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="calls per mode (default 7)")
    parser.add_argument("--entry", type=int, default=0, help="which shipped entry (default 0)")
    args = parser.parse_args()

    with private_db():  # only for a private program-state path: no user state is loaded
        import dspy
        import llama_cpp

        from _common import entry_texts
        from charlie_inference import DspyLM, ModelSettings, load_extractor, load_model

        text = entry_texts(args.entry + 1)[args.entry]
        settings = ModelSettings()
        llama = load_model(settings)
        lm = DspyLM(settings, llama=llama)
        extractor = load_extractor(settings)
        ctx = llama._ctx.ctx

        captured: dict[str, Any] = {}
        inner_s: list[float] = []
        original = llama.create_chat_completion

        def spy(**kwargs: Any) -> Any:
            """Record what the engine sends, and how long llama-cpp-python takes with it."""
            captured.clear()
            captured.update(kwargs)
            start = time.perf_counter()
            try:
                return original(**kwargs)
            finally:
                inner_s.append(time.perf_counter() - start)

        llama.create_chat_completion = spy  # type: ignore[method-assign]

        def run_dspy() -> tuple[float, int, str]:
            before = len(lm.history)
            with dspy.context(lm=lm):
                start = time.perf_counter()
                extractor(text=text)
                wall = time.perf_counter() - start
            calls = lm.history[before:]
            assert len(calls) == 1, f"expected one LM call, got {len(calls)}"
            return wall, calls[0]["usage"]["completion_tokens"], calls[0]["outputs"][0]

        def run_raw() -> tuple[float, int, str]:
            start = time.perf_counter()
            result = original(**raw_kwargs)
            wall = time.perf_counter() - start
            return wall, result["usage"]["completion_tokens"], result["choices"][0]["message"][
                "content"
            ]

        run_dspy()  # warm-up (first touch of the weights) and capture of the exact call
        raw_kwargs = dict(captured)
        schema = (raw_kwargs.get("response_format") or {}).get("schema")
        print(
            f"captured call: {len(raw_kwargs['messages'])} messages, "
            f"{sum(len(m['content']) for m in raw_kwargs['messages'])} chars, grammar from JSON "
            f"schema: {'yes' if schema else 'NO'}, "
            f"args {sorted(k for k in raw_kwargs if k != 'messages')}"
        )
        run_raw()  # warm-up

        samples: dict[str, list[dict[str, float]]] = {"dspy": [], "raw": []}
        outputs: dict[str, set[str]] = {"dspy": set(), "raw": set()}
        for _, mode in alternating(["dspy", "raw"], args.reps):
            llama.reset()  # full prompt evaluation in both modes
            llama_cpp.llama_perf_context_reset(ctx)
            inner_s.clear()
            wall, tokens, output = run_dspy() if mode == "dspy" else run_raw()
            counters = perf(llama)
            outputs[mode].add(output)
            samples[mode].append(
                {
                    "wall": wall,
                    "tokens": tokens,
                    "tok_s": tokens / wall,
                    "inner": inner_s[0] if inner_s else wall,
                    **counters,
                }
            )

    rows = []
    for mode, runs in samples.items():
        rows.append(
            [
                mode,
                len(runs),
                median([r["wall"] * 1000 for r in runs]),
                median([r["tokens"] for r in runs]),
                median([r["tok_s"] for r in runs]),
                median([(r["wall"] - r["inner"]) * 1000 for r in runs]),
                median([r["n_p_eval"] for r in runs]),
                median([r["t_p_eval_ms"] for r in runs]),
            ]
        )
    print()
    print(
        table(
            [
                "mode",
                "calls",
                "wall ms",
                "out tokens",
                "tok/s (out/wall)",
                "outside llama ms",
                "prompt tok",
                "prompt ms",
            ],
            rows,
        )
    )
    dspy_rate = median([r["tok_s"] for r in samples["dspy"]])
    raw_rate = median([r["tok_s"] for r in samples["raw"]])
    overhead_ms = median([(r["wall"] - r["inner"]) * 1000 for r in samples["dspy"]])
    identical = outputs["dspy"] == outputs["raw"] and len(outputs["raw"]) == 1
    print(f"same output text in both modes: {'yes' if identical else 'NO'}")

    # Decode: the raw call's generated tokens over its wall time minus llama.cpp's prompt
    # time, against llama.cpp's own decode counter (time inside llama_decode only).
    raw = samples["raw"]
    py_decode = median([r["tokens"] / (r["wall"] - r["t_p_eval_ms"] / 1000) for r in raw])
    cpp_decode = median([r["n_eval"] / (r["t_eval_ms"] / 1000) for r in raw if r["t_eval_ms"]])
    cpp_prompt = median([r["n_p_eval"] / (r["t_p_eval_ms"] / 1000) for r in raw])
    prompt_share = median([r["t_p_eval_ms"] / 1000 / r["wall"] for r in raw])
    print(
        table(
            ["raw call, decode", "tok/s"],
            [
                ["llama-cpp-python (out tokens / (wall - prompt eval))", py_decode],
                ["llama.cpp perf (n_eval / t_eval)", cpp_decode],
                ["llama.cpp perf prompt eval (n_p_eval / t_p_eval)", cpp_prompt],
            ],
        )
    )
    print(
        f"llama.cpp decode / python-side decode = {ratio(cpp_decode, py_decode):.2f}x; "
        f"prompt eval is {prompt_share:.0%} of a raw call's wall time"
    )
    print(machine())
    print(
        f"SUMMARY dspy_overhead: reps={args.reps}: DSPy {dspy_rate:.1f} tok/s vs raw "
        f"{raw_rate:.1f} tok/s (raw/DSPy = {ratio(raw_rate, dspy_rate):.2f}x, DSPy adds "
        f"{overhead_ms:.0f} ms/call); raw decode {py_decode:.0f} tok/s vs llama.cpp's own "
        f"{cpp_decode:.0f} tok/s ({ratio(cpp_decode, py_decode):.2f}x)"
    )


if __name__ == "__main__":
    main()
