"""How every architecture here takes its hyper-parameters: a frozen config dataclass, or its
fields as keyword arguments (handy in tests), never both."""

from __future__ import annotations


def resolve_config(config_class, config, kwargs: dict):
    if config is None:
        return config_class(**kwargs)
    if kwargs:
        raise TypeError("pass either a config or keyword hyper-parameters, not both")
    return config
