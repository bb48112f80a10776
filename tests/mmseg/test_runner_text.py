"""A Runner's config is formatted once per training, however often MMEngine asks for its text."""

from __future__ import annotations

import copy


def test_config_text_is_formatted_once_and_unchanged(monkeypatch):
    from alcore_mmseg.stack import formatted_once, prepare_stack

    prepare_stack()
    from mmengine.config import Config

    calls: list[int] = []
    original = Config.pretty_text

    def counting(self) -> str:
        calls.append(1)
        return original.fget(self)

    monkeypatch.setattr(Config, "pretty_text", property(counting))
    settings = dict(model=dict(type="EncoderDecoder", depth=18), train_cfg=dict(max_iters=10))
    cfg = copy.deepcopy(formatted_once(settings))  # the Runner keeps a deep copy
    texts = {cfg.pretty_text for _ in range(4)}
    assert len(calls) == 1
    assert texts == {original.fget(Config(settings))}
