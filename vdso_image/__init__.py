"""The vDSO images of hppa-user (sources, build and the committed, prebuilt images).

``images/vdso-<profile>.so`` are built by ``make -C vdso_image`` from the assembly here;
they ship as package data so that running needs no cross toolchain. Read them through
:mod:`kernel_model.vdso`.
"""
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent
IMAGES_DIR = SOURCE_DIR / "images"
#: profiles that have an image (profile "none" has no vDSO)
IMAGE_PROFILES = ("5.18", "6.11", "vvar")


def image_path(profile: str) -> Path:
    if profile not in IMAGE_PROFILES:
        raise ValueError(f"kernel profile {profile!r} has no vDSO image")
    return IMAGES_DIR / f"vdso-{profile}.so"
