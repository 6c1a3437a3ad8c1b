"""What DSPy costs on top of llama.cpp: ``DspyLM`` + ``EntityExtractor`` vs the raw call.

Why: the worker runs every extraction through DSPy (adapter formatting, parsing, history).
On a 135M model a call is short, so a fixed per-call overhead could matter. The raw call gets
the very messages, grammar (``response_format``) and sampling arguments the engine sent:
they are captured from ``Llama.create_chat_completion`` during a DSPy call, so the only
difference between the modes is the DSPy layer. Both use one ``Llama`` (same threads).
Before every call the KV cache is cut back to the same point in both modes: by default to the
instructions shared by all entries (``--prompt warm``: a warm backlog, where only the entry's
own text is evaluated), or to nothing (``--prompt full``: the first entry after a load).

It also compares the raw call's decode rate with llama.cpp's own perf counters
(``llama_perf_context``): the gap is per-token work outside ``llama_decode`` (sampling with
the JSON grammar, the Python generator, detokenizing). The raw call runs with the grammar the
engine uses (``raw``: ``charlie_inference.grammar``, the grammar checked on the best token
only), with llama-cpp-python's own grammar sampling from ``response_format`` (``raw-llamacpp``:
the whole vocabulary checked at every token, what the engine did before), and without a
grammar (``raw-nogrammar``), side by side.

The engine itself decodes an answer whose only freedom is a choice per value at its choices
(``charlie_inference.choices``): ``raw-choices`` is the raw call that way. The ``dspy`` mode
runs under the grammar sampler, as ``raw``, so that DSPy's own cost is all that differs.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from _common import (
    alternating,
    entry_texts,
    machine,
    median,
    private_data_dir,
    ratio,
    table,
)

MODES = ["dspy", "raw", "raw-choices", "raw-llamacpp", "raw-nogrammar"]
NOGRAMMAR_MAX_TOKENS = 64


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
    parser.add_argument(
        "--prompt",
        choices=["warm", "full"],
        default="warm",
        help="KV cache before each call: shared instructions kept (default) or nothing",
    )
    args = parser.parse_args()

    with private_data_dir():  # no user program state is loaded
        import dspy
        import llama_cpp

        from charlie_inference import (
            DspyLM,
            ModelSettings,
            choices,
            engine,
            load_extractor,
            load_model,
        )
        from charlie_inference.grammar import GrammarGreedy, gbnf_for, grammar_sampling

        text, other = entry_texts(args.entry + 2)[args.entry :]
        settings = ModelSettings()
        llama = load_model(settings)
        lm = DspyLM(settings, llama=llama)
        extractor = load_extractor(settings)

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
        requested: dict[str, Any] = {}
        chat_kwargs = engine.chat_kwargs

        def request_spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
            """Record the call the engine builds, ``response_format`` included (the engine
            turns that into its own grammar sampling before calling llama-cpp-python)."""
            built = chat_kwargs(*args, **kwargs)
            requested.clear()
            requested.update(built)
            return built

        engine.chat_kwargs = request_spy

        shipped_template = choices.answer_template

        def run_dspy() -> tuple[float, dict[str, Any], str]:
            before = len(lm.history)
            choices.answer_template = lambda _schema: None  # under the grammar, as ``raw``
            with dspy.context(lm=lm):
                start = time.perf_counter()
                extractor(text=text)
                wall = time.perf_counter() - start
            choices.answer_template = shipped_template
            calls = lm.history[before:]
            assert len(calls) == 1, f"expected one LM call, got {len(calls)}"
            return wall, calls[0]["usage"], calls[0]["outputs"][0]

        def run_raw(mode: str) -> tuple[float, dict[str, Any], str]:
            kwargs = {k: v for k, v in raw_kwargs.items() if k != "response_format"}
            sampling = contextlib.nullcontext()
            if mode == "raw":
                sampling = grammar_sampling(llama, gbnf)
            elif mode == "raw-choices":
                sampling = choices.choice_decoding(
                    llama, vocabulary, template, settings.repeat_penalty
                )
            elif mode == "raw-llamacpp":
                kwargs["response_format"] = raw_kwargs["response_format"]
            else:
                kwargs["max_tokens"] = NOGRAMMAR_MAX_TOKENS
            start = time.perf_counter()
            with sampling:
                result = original(**kwargs)
            wall = time.perf_counter() - start
            return wall, result["usage"], result["choices"][0]["message"]["content"]

        # Warm-up (first touch of the weights); the second call, after another entry, tells
        # how many prompt tokens all entries share, and captures the exact call.
        with dspy.context(lm=lm):
            extractor(text=other)
        run_dspy()
        shared = lm.history[-1]["usage"]["prompt_tokens_details"]["cached_tokens"]
        keep = shared if args.prompt == "warm" else 0
        raw_kwargs = dict(requested)
        # Unconstrained, the small model loops until max_tokens: ``raw-nogrammar`` caps it,
        # the figure wanted is per generated token.
        gbnf = gbnf_for(raw_kwargs.get("response_format"))
        template = choices.answer_template((raw_kwargs.get("response_format") or {}).get("schema"))
        assert template is not None, "the extractor's answer is no longer choices only"
        vocabulary = choices.Vocabulary(choices.token_spellings(llama))
        has_grammar = bool((raw_kwargs.get("response_format") or {}).get("schema"))
        print(
            f"captured call: {len(raw_kwargs['messages'])} messages, "
            f"{sum(len(m['content']) for m in raw_kwargs['messages'])} chars, grammar from JSON "
            f"schema: {'yes' if has_grammar else 'NO'}, "
            f"args {sorted(k for k in raw_kwargs if k != 'messages')}",
            flush=True,
        )

        samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        checks: dict[str, int] = {}
        outputs: dict[str, set[str]] = {mode: set() for mode in MODES}
        for _, mode in alternating(MODES, args.reps):
            # Same starting KV cache in every mode: cut back to ``keep`` tokens, which leaves
            # just the instructions every entry shares (or nothing). The previous call's
            # prompt begins with the same instructions whatever the mode.
            llama.n_tokens = min(llama.n_tokens, keep)
            llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
            inner_s.clear()
            wall, usage, output = run_dspy() if mode == "dspy" else run_raw(mode)
            counters = perf(llama)
            picker = getattr(llama._sampler, "charlie_grammar", None)  # the call's sampler
            if mode in ("dspy", "raw") and picker is not None:
                for check, n in picker.checks.items():
                    checks[check] = checks.get(check, 0) + n
            outputs[mode].add(output)
            samples[mode].append(
                {
                    "wall": wall,
                    "prompt": usage["prompt_tokens"],
                    "tokens": usage["completion_tokens"],
                    "tok_s": usage["completion_tokens"] / wall,
                    "outside_ms": (wall - (inner_s[0] if inner_s else wall)) * 1000,
                    # Per generated token, time outside llama_decode: sampling + Python.
                    "other_ms_tok": (wall * 1000 - counters["t_p_eval_ms"] - counters["t_eval_ms"])
                    / max(1, usage["completion_tokens"]),
                    **counters,
                }
            )

    def med(mode: str, key: str) -> float:
        return median([r[key] for r in samples[mode]])

    rows = [
        [
            mode,
            len(samples[mode]),
            med(mode, "wall") * 1000,
            med(mode, "tokens"),
            med(mode, "tok_s"),
            med(mode, "outside_ms"),
            f"{med(mode, 'n_p_eval'):.0f}/{med(mode, 'prompt'):.0f}",
            med(mode, "t_p_eval_ms"),
            med(mode, "t_eval_ms") / max(1, med(mode, "n_eval")),
            med(mode, "other_ms_tok"),
        ]
        for mode in MODES
    ]
    print()
    print(
        table(
            [
                "mode",
                "calls",
                "wall ms",
                "out tok",
                "out tok/s",
                "DSPy ms",
                "prompt eval/total",
                "prompt ms",
                "decode ms/tok",
                "sample+py ms/tok",
            ],
            rows,
        )
    )
    dspy_rate, raw_rate = med("dspy", "tok_s"), med("raw", "tok_s")
    overhead_ms = med("dspy", "outside_ms")
    identical = outputs["dspy"] == outputs["raw"] == outputs["raw-llamacpp"]
    same_choices = outputs["raw-choices"] == outputs["raw"]
    print(
        f"same output text for dspy, raw and raw-llamacpp: "
        f"{'yes' if identical and len(outputs['raw']) == 1 else 'NO'}; raw-choices: "
        f"{'the same' if same_choices else sorted(outputs['raw-choices'])}; --prompt "
        f"{args.prompt}: {keep} prompt tokens kept in the KV cache before each call"
    )

    # Decode rate of a raw call: generated tokens over (wall - llama.cpp's prompt time),
    # against llama.cpp's own decode counter (time inside llama_decode only).
    def decode_rates(mode: str) -> tuple[float, float]:
        runs = samples[mode]
        python_side = median([r["tokens"] / (r["wall"] - r["t_p_eval_ms"] / 1000) for r in runs])
        cpp = median([r["n_eval"] / (r["t_eval_ms"] / 1000) for r in runs if r["t_eval_ms"]])
        return python_side, cpp

    rates = {mode: decode_rates(mode) for mode in ("raw", "raw-llamacpp")}
    print(
        table(
            ["raw call, grammar sampling", "decode tok/s", "llama.cpp n_eval/t_eval", "share"],
            [
                [
                    "charlie_inference.grammar (best token checked)"
                    if mode == "raw"
                    else "llama-cpp-python response_format (whole vocabulary)",
                    python_side,
                    cpp,
                    f"{100 * python_side / cpp:.0f}%",
                ]
                for mode, (python_side, cpp) in rates.items()
            ],
        )
    )
    grammar_ms = {
        mode: med(mode, "other_ms_tok") - med("raw-nogrammar", "other_ms_tok")
        for mode in ("raw", "raw-llamacpp")
    }
    print(
        f"the JSON grammar adds ~{grammar_ms['raw']:.2f} ms per generated token outside "
        f"llama_decode (llama-cpp-python's own: ~{grammar_ms['raw-llamacpp']:.2f} ms); tokens "
        f"settled by checking the best token / the best {GrammarGreedy.SHORTLIST} / the whole "
        f"vocabulary: {' / '.join(str(n) for n in checks.values())}"
    )
    print(machine())
    (new, new_cpp), (old, old_cpp) = rates["raw"], rates["raw-llamacpp"]
    grammar_call, choices_call = med("raw", "wall"), med("raw-choices", "wall")
    print(
        f"SUMMARY dspy_overhead: reps={args.reps} prompt={args.prompt}: DSPy {dspy_rate:.1f}"
        f" tok/s vs raw {raw_rate:.1f} tok/s (raw/DSPy = {ratio(raw_rate, dspy_rate):.2f}x,"
        f" DSPy adds {overhead_ms:.0f} ms/call); decode under the grammar {new:.0f} tok/s ="
        f" {100 * new / new_cpp:.0f}% of llama.cpp's own {new_cpp:.0f} tok/s (llama-cpp-python's"
        f" grammar sampling: {old:.0f} tok/s = {100 * old / old_cpp:.0f}%); the answer decoded"
        f" at its choices: {choices_call * 1000:.0f} vs {grammar_call * 1000:.0f} ms a call"
        f" under the grammar ({ratio(grammar_call, choices_call):.2f}x)"
    )


if __name__ == "__main__":
    main()
