"""The vDSO images of hppa-user (sources, build and the committed, prebuilt images).

``images/vdso-<profile>.so`` are built by ``make -C vdso_image`` from the assembly here;
they ship as package data so that running needs no cross toolchain. Read them through
:mod:`kernel_model.vdso`.
"""
import os

# (strings, not pathlib: a run reads an image, and pathlib costs ~3 ms of its start-up)
SOURCE_DIR = os.path.dirname(os.path.realpath(__file__))
IMAGES_DIR = os.path.join(SOURCE_DIR, "images")
#: profiles that have an image (profile "none" has no vDSO)
IMAGE_PROFILES = ("5.18", "6.11", "vvar")


def image_path(profile: str) -> str:
    if profile not in IMAGE_PROFILES:
        raise ValueError(f"kernel profile {profile!r} has no vDSO image")
    return os.path.join(IMAGES_DIR, f"vdso-{profile}.so")
