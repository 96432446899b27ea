"""Network architectures of the SRResNet / SRGAN family and its efficient descendants (no I/O, no
Django). `ARCHITECTURES` maps the name a training config or a weights file uses to the class and
its hyper-parameter dataclass."""

from upscaler.engine.archs.discriminator import SRGANDiscriminator
from upscaler.engine.archs.span import SPAN, SPANConfig
from upscaler.engine.archs.srresnet import SRResNet, SRResNetConfig

ARCHITECTURES = {"srresnet": (SRResNet, SRResNetConfig), "span": (SPAN, SPANConfig)}

__all__ = ["ARCHITECTURES", "SPAN", "SPANConfig", "SRGANDiscriminator", "SRResNet", "SRResNetConfig"]
