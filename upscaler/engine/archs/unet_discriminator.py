"""The U-Net discriminator with spectral normalisation of Real-ESRGAN (Wang et al., ICCVW 2021).

Where the SRGAN discriminator answers "real or fake?" once per patch, this one answers per pixel:
an encoder of three stride-2 convolutions, a decoder that upsamples back with skips from the
encoder, and a 1-channel logit map at the input's size. Per-pixel feedback is what lets the
generator sharpen edges without being pushed to paint the same texture everywhere, and spectral
normalisation (Miyato et al. 2018) keeps such a strong discriminator from overpowering it. The
decoder's feature maps double as the feature-matching targets of our perceptual loss (no ImageNet
VGG here). Training-only: never shipped, never loaded by the service.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class UNetDiscriminatorSN(nn.Module):
    def __init__(self, base_channels: int = 64, skip_connection: bool = True) -> None:
        super().__init__()
        c = base_channels
        self.skip_connection = skip_connection
        self.conv0 = nn.Conv2d(3, c, 3, padding=1)
        # Encoder: halve the size three times.
        self.down1 = spectral_norm(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1, bias=False))
        self.down2 = spectral_norm(nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1, bias=False))
        self.down3 = spectral_norm(nn.Conv2d(4 * c, 8 * c, 4, stride=2, padding=1, bias=False))
        # Decoder: bilinear ×2 then a conv, each with a skip from the encoder level of its size.
        self.up1 = spectral_norm(nn.Conv2d(8 * c, 4 * c, 3, padding=1, bias=False))
        self.up2 = spectral_norm(nn.Conv2d(4 * c, 2 * c, 3, padding=1, bias=False))
        self.up3 = spectral_norm(nn.Conv2d(2 * c, c, 3, padding=1, bias=False))
        self.refine1 = spectral_norm(nn.Conv2d(c, c, 3, padding=1, bias=False))
        self.refine2 = spectral_norm(nn.Conv2d(c, c, 3, padding=1, bias=False))
        self.head = nn.Conv2d(c, 1, 3, padding=1)

    @staticmethod
    def _act(x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, 0.2)

    def _up(self, x: torch.Tensor, conv: nn.Module, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self._act(conv(x))
        return x + skip if self.skip_connection else x

    def forward(
        self, x: torch.Tensor, *, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """x: N×3×H×W in [0, 1] (H, W multiples of 8). Returns N×1×H×W logits (and the decoder's
        feature maps, coarse to fine)."""
        x0 = self._act(self.conv0(x * 2 - 1))  # centred input, as the SRGAN discriminator's
        x1 = self._act(self.down1(x0))
        x2 = self._act(self.down2(x1))
        x3 = self._act(self.down3(x2))
        u1 = self._up(x3, self.up1, x2)
        u2 = self._up(u1, self.up2, x1)
        u3 = self._up(u2, self.up3, x0)
        out = self._act(self.refine2(self._act(self.refine1(u3))))
        logits = self.head(out)
        return (logits, [x1, x2, x3, u1, u2, u3]) if return_features else logits
