"""Network architectures of the SRResNet / SRGAN family (no I/O, no Django)."""

from upscaler.engine.archs.discriminator import SRGANDiscriminator
from upscaler.engine.archs.srresnet import SRResNet, SRResNetConfig

__all__ = ["SRGANDiscriminator", "SRResNet", "SRResNetConfig"]
