"""CycleGAN's history of generated images (Shrivastava et al.): D also sees older fakes, which damps oscillation."""

from __future__ import annotations

import torch


class ImagePool:
    def __init__(self, size: int = 50):
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """For each image: while filling, store and return it; then, half the time, swap it for a stored one."""
        if self.size == 0:
            return images
        returned = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                returned.append(image)
            elif torch.rand(()) < 0.5:
                index = int(torch.randint(0, self.size, ()))
                returned.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                returned.append(image)
        return torch.stack(returned)

    def state(self) -> list[torch.Tensor]:
        return [image.cpu() for image in self.images]

    def load(self, images: list[torch.Tensor], device: torch.device) -> None:
        self.images = [image.to(device) for image in images]
