"""A tiny synthetic art collection written ON DISK in the real formats.

Every work has an artist (its palette), a style (its brush texture) and a genre
(its composition), so a small CNN trained for seconds on CPU beats chance on all
three tasks. :func:`make_fixture` writes the same works as

* WikiArt/ArtGAN: ``wikiart/<Style>/<artist>_<title>.jpg`` and ``wikiart_csv/``
  (``Artist/artist_{class,train,val}`` with ``,,`` and a header + blank line,
  ``Genre/genre_*.csv`` with CRLF, ``Style/style_class.txt`` + ``style_*.csv``);
* Painter by Numbers: ``pbn/train_info.csv`` + ``pbn/train/<id>.jpg``;
* NGA open data: ``nga/objects.csv``, ``published_images.csv``, ``objects_terms.csv``,
  ``objects_constituents.csv`` + ``nga/images/<objectid>.jpg``;
* WGA: ``wga/paintings.csv`` + ``wga/images/<mirror path>``;
* ImageFolder: ``imagefolder/<genre>/<name>.jpg``.

With ``defects=True`` the WikiArt copy also carries what real data has: a
truncated JPEG, a missing file, a malformed CSV row, CMYK / grayscale / RGBA /
16-bit images, byte-identical duplicates, a photograph stored sideways with an
EXIF orientation tag, and an image with an embedded ICC colour profile.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageCms

ARTISTS = ["Claude_Monet", "Rembrandt", "Katsushika_Hokusai", "Wassily_Kandinsky", "Gustav_Klimt"]
STYLES = ["Impressionism", "Cubism", "Realism"]
GENRES = ["landscape", "portrait", "still_life", "religious_painting"]
GENRE_WEIGHTS = [0.4, 0.3, 0.2, 0.1]
OTHER_ARTISTS = ["Anonymous_Master", "Jan_van_Goyen", "Berthe_Morisot"]

# Four base colours per artist: the palette is the artist's signature.
PALETTES = np.array(
    [
        [[0.55, 0.75, 0.95], [0.35, 0.65, 0.40], [0.95, 0.85, 0.60], [0.85, 0.55, 0.70]],  # light, pastel
        [[0.20, 0.12, 0.05], [0.55, 0.35, 0.10], [0.85, 0.70, 0.40], [0.08, 0.06, 0.04]],  # dark browns
        [[0.10, 0.25, 0.55], [0.90, 0.88, 0.80], [0.35, 0.55, 0.75], [0.05, 0.10, 0.30]],  # Prussian blue
        [[0.90, 0.15, 0.15], [0.10, 0.20, 0.85], [0.98, 0.85, 0.10], [0.10, 0.10, 0.10]],  # primaries
        [[0.85, 0.65, 0.10], [0.40, 0.30, 0.05], [0.20, 0.45, 0.30], [0.95, 0.90, 0.60]],  # gold
    ]
)
OTHER_PALETTE = np.array([[0.5, 0.5, 0.5], [0.4, 0.45, 0.4], [0.6, 0.55, 0.5], [0.3, 0.3, 0.35]])

TITLE_WORDS = {
    "landscape": ("Landscape with", ["a River", "a Windmill", "Cows", "a Bridge", "Poplars", "a Harbour"]),
    "portrait": ("Portrait of", ["a Lady", "the Artist's Son", "a Young Man", "an Old Woman", "a Merchant"]),
    "still_life": ("Still Life with", ["Apples", "Flowers", "a Jug", "Lemons", "Oysters", "a Skull"]),
    "religious_painting": ("The", ["Annunciation", "Nativity", "Adoration", "Crucifixion", "Baptism"]),
}
PLACES = ["Argenteuil", "Delft", "Giverny", "Haarlem", "Kyoto", "Vienna", "Munich", "Antwerp"]


@dataclass
class FixturePaths:
    """Where each format of the fixture lives."""

    root: Path
    wikiart_images: Path
    wikiart_csv: Path
    pbn_csv: Path
    pbn_images: Path
    nga: Path
    wga_csv: Path
    imagefolder: Path
    n_works: int

    @classmethod
    def under(cls, root: Path, n_works: int) -> FixturePaths:
        return cls(
            root,
            root / "wikiart",
            root / "wikiart_csv",
            root / "pbn" / "train_info.csv",
            root / "pbn" / "train",
            root / "nga",
            root / "wga" / "paintings.csv",
            root / "imagefolder",
            n_works,
        )


# -- rendering ----------------------------------------------------------------


def _composition(genre: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Map of palette indices (0..3) laying out the genre's composition."""
    yy, xx = np.mgrid[0:h, 0:w]
    y, x = yy / h, xx / w
    region = np.zeros((h, w), dtype=np.int64)
    if genre == "landscape":  # sky / land / water bands with a wavy horizon
        horizon = 0.45 + rng.uniform(-0.08, 0.08) + 0.04 * np.sin(x * rng.uniform(4, 9))
        region[y > horizon] = 1
        region[y > horizon + 0.25] = 2
    elif genre == "portrait":  # dark ground, a central head and shoulders
        cx, cy = 0.5 + rng.uniform(-0.06, 0.06), 0.4 + rng.uniform(-0.05, 0.05)
        region[:] = 3
        region[((x - cx) / 0.2) ** 2 + ((y - cy) / 0.26) ** 2 < 1] = 2
        region[(y > cy + 0.3) & (np.abs(x - cx) < 0.38)] = 1
    elif genre == "still_life":  # table edge with round objects on it
        table = 0.62 + rng.uniform(-0.06, 0.06)
        region[y > table] = 1
        for _ in range(3):
            ox, oy, r = rng.uniform(0.2, 0.8), table - rng.uniform(0.02, 0.1), rng.uniform(0.08, 0.14)
            region[(x - ox) ** 2 + (y - oy) ** 2 < r**2] = 2 + rng.integers(0, 2)
    else:  # religious: symmetric arch with a central figure
        region[:] = 2
        arch = (np.abs(x - 0.5) < 0.32) & (y > 0.25 - 0.25 * np.sqrt(np.clip(1 - ((x - 0.5) / 0.32) ** 2, 0, 1)))
        region[arch] = 0
        region[(np.abs(x - 0.5) < 0.09) & (y > 0.3)] = 3
        region[((x - 0.5) / 0.08) ** 2 + ((y - 0.26) / 0.08) ** 2 < 1] = 1
    return region


def _texture(style: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative brightness field standing for the brushwork of a style."""
    if style == "Impressionism":  # short dabs: blocky noise at a fine scale
        cell = 3
        dabs = rng.uniform(0.6, 1.4, size=(h // cell + 1, w // cell + 1))
        return np.kron(dabs, np.ones((cell, cell)))[:h, :w]
    if style == "Cubism":  # large facets with dark edges
        tex = np.ones((h, w))
        yy, xx = np.mgrid[0:h, 0:w]
        for _ in range(6):
            a, b, c = rng.normal(), rng.normal(), rng.uniform(-0.5, 0.5) * max(h, w)
            side = (a * (xx - w / 2) + b * (yy - h / 2) + c) > 0
            tex *= np.where(side, rng.uniform(0.75, 1.2), 1.0)
            edge = np.abs(a * (xx - w / 2) + b * (yy - h / 2) + c) / np.hypot(a, b) < 0.8
            tex[edge] *= 0.35
        return tex
    # Realism: smooth light falling from one side, no visible strokes
    yy, xx = np.mgrid[0:h, 0:w]
    lx, ly = rng.uniform(0, w), rng.uniform(0, h * 0.3)
    dist = np.hypot(xx - lx, yy - ly) / np.hypot(h, w)
    return 1.25 - 0.6 * dist


def render_work(artist: int, style: str, genre: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """One synthetic painting as an HxWx3 uint8 array (``artist`` < 0: a non-listed artist)."""
    w, h = size
    palette = PALETTES[artist] if artist >= 0 else OTHER_PALETTE
    palette = np.clip(palette + rng.normal(0, 0.04, palette.shape), 0, 1)
    image = palette[_composition(genre, h, w, rng)] * _texture(style, h, w, rng)[..., None]
    image += rng.normal(0, 0.03, image.shape)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


# -- catalogue ----------------------------------------------------------------


def _slug(text: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


def make_catalogue(n_works: int, seed: int = 0) -> pd.DataFrame:
    """The works' metadata: artist/style/genre indices, title, year, image size."""
    rng = np.random.default_rng(seed)
    listed = rng.random(n_works) < 0.78
    artist = np.where(listed, rng.integers(0, len(ARTISTS), n_works), -1)
    other = rng.integers(0, len(OTHER_ARTISTS), n_works)
    genre = rng.choice(len(GENRES), size=n_works, p=GENRE_WEIGHTS)
    style = rng.integers(0, len(STYLES), n_works)
    rows = []
    for i in range(n_works):
        g = GENRES[genre[i]]
        lead, objects = TITLE_WORDS[g]
        title = f"{lead} {objects[rng.integers(len(objects))]}"
        if g == "landscape":
            title += f" near {PLACES[rng.integers(len(PLACES))]}"
        name = ARTISTS[artist[i]] if artist[i] >= 0 else OTHER_ARTISTS[other[i]]
        rows.append(
            {
                "work": i,
                "artist_idx": int(artist[i]),
                "artist_name": name,
                "style": STYLES[style[i]],
                "genre": g,
                "title": title,
                "year": int(1500 + 80 * style[i] + rng.integers(0, 300)),
                "width": int(rng.integers(64, 129)),
                "height": int(rng.integers(64, 129)),
                "genre_listed": bool(rng.random() < 0.92),
                "val": bool(rng.random() < 0.2),
            }
        )
    cat = pd.DataFrame(rows)
    cat["file"] = [
        f"{_slug(a)}_{_slug(t)}-{i}.jpg" for a, t, i in zip(cat.artist_name, cat.title, cat.work, strict=True)
    ]
    return cat


# -- writers ------------------------------------------------------------------


def _save_jpeg(image: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=90)


def _write_lines(path: Path, lines: list[str], newline: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())


def _write_wikiart(cat: pd.DataFrame, images: dict[int, np.ndarray], fx: FixturePaths) -> None:
    for row in cat.itertuples():
        _save_jpeg(images[row.work], fx.wikiart_images / row.style / row.file)
    csv = fx.wikiart_csv
    _write_lines(csv / "Artist" / "artist_class", [f"{i} {a}" for i, a in enumerate(ARTISTS)], "\n")
    _write_lines(csv / "Genre" / "genre_class", [f"{i} {g}" for i, g in enumerate(GENRES)], "\n")
    _write_lines(csv / "Style" / "style_class.txt", [f"{i} {s}" for i, s in enumerate(STYLES)], "\n")
    for split, part in (("train", cat[~cat["val"]]), ("val", cat[cat["val"]])):
        rel = part["style"] + "/" + part["file"]
        art = part["artist_idx"] >= 0
        _write_lines(
            csv / "Artist" / f"artist_{split}",
            ["(Path to image),, (Groundtruth class) ", ""]
            + [f"{p},,{a}" for p, a in zip(rel[art], part["artist_idx"][art], strict=True)],
            "\n",
        )
        gen = part["genre_listed"]
        _write_lines(
            csv / "Genre" / f"genre_{split}.csv",
            [f"{p},{GENRES.index(g)}" for p, g in zip(rel[gen], part["genre"][gen], strict=True)],
            "\r\n",
        )
        _write_lines(
            csv / "Style" / f"style_{split}.csv",
            [f"{p},{STYLES.index(s)}" for p, s in zip(rel, part["style"], strict=True)],
            "\r\n",
        )


def _add_wikiart_defects(cat: pd.DataFrame, fx: FixturePaths, rng: np.random.Generator, seed: int) -> None:
    """Damage the WikiArt copy the way real crawls are damaged."""
    train = cat[~cat["val"]]
    picks = train.sample(7, random_state=int(rng.integers(1 << 31)))
    paths = [fx.wikiart_images / r.style / r.file for r in picks.itertuples()]
    data = paths[0].read_bytes()  # truncated download
    paths[0].write_bytes(data[: len(data) // 2])
    paths[1].unlink()  # listed but missing
    Image.open(paths[2]).convert("CMYK").save(paths[2], quality=90)  # CMYK JPEG
    Image.open(paths[3]).convert("L").save(paths[3], quality=90)  # grayscale
    rgba = Image.open(paths[4]).convert("RGBA")
    rgba.putalpha(200)
    rgba.save(paths[4], format="PNG")  # PNG with alpha behind a .jpg name
    gray16 = np.asarray(Image.open(paths[5]).convert("L"), dtype=np.uint16) * 257
    Image.fromarray(gray16).save(paths[5], format="PNG")  # 16-bit grayscale
    # byte-identical copy of one work under a second name (as WikiArt's "(1)" files)
    src = paths[6]
    dup = src.with_name(src.stem + "(1).jpg")
    shutil.copyfile(src, dup)
    style_file = fx.wikiart_csv / "Style" / "style_train.csv"
    with open(style_file, "ab") as fh:
        fh.write(f"{picks.iloc[6]['style']}/{dup.name},{STYLES.index(picks.iloc[6]['style'])}\r\n".encode())
        fh.write(b"Realism/row-without-a-label.jpg\r\n")  # malformed row
    # drawn apart from ``rng`` so that the other formats' images stay as they were before these two
    rotated, tagged = [
        fx.wikiart_images / r.style / r.file
        for r in train.drop(picks.index).sample(2, random_state=seed + 1).itertuples()
    ]
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held sideways: shown rotated 90 degrees clockwise
    Image.open(rotated).transpose(Image.Transpose.ROTATE_90).save(rotated, quality=90, exif=exif)
    srgb = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    srgb[24:36] = bytes(12)  # the header's creation time, so the fixture is reproducible
    Image.open(tagged).save(tagged, quality=90, icc_profile=bytes(srgb))  # colour-managed export


def _write_pbn(cat: pd.DataFrame, images: dict[int, np.ndarray], fx: FixturePaths, rng: np.random.Generator) -> None:
    ids = rng.permutation(np.arange(10_000, 10_000 + 3 * len(cat)))[: len(cat)]
    rows = []
    for row, pid in zip(cat.itertuples(), ids, strict=True):
        fname = f"{pid}.jpg"
        _save_jpeg(images[row.work], fx.pbn_images / fname)
        r = rng.random()
        date = f"{row.year}.0" if r < 0.6 else (f"c.{row.year}" if r < 0.8 else "")
        rows.append(
            {
                "filename": fname,
                "artist": hashlib.md5(row.artist_name.encode()).hexdigest(),
                "title": row.title,
                "style": row.style.replace("_", " "),
                "genre": row.genre.replace("_", " ") if row.genre_listed else "",
                "date": date,
            }
        )
    fx.pbn_csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(fx.pbn_csv, index=False)


NGA_OBJECT_COLUMNS = [
    "objectid",
    "accessioned",
    "accessionnum",
    "locationid",
    "title",
    "displaydate",
    "beginyear",
    "endyear",
    "visualbrowsertimespan",
    "medium",
    "dimensions",
    "inscription",
    "markings",
    "attributioninverted",
    "attribution",
    "provenancetext",
    "creditline",
    "classification",
    "subclassification",
    "visualbrowserclassification",
    "parentid",
    "isvirtual",
    "departmentabbr",
    "portfolio",
    "series",
    "volume",
    "watermarks",
    "lastdetectedmodification",
    "wikidataid",
    "customprinturl",
]
NGA_IMAGE_COLUMNS = [
    "uuid",
    "iiifurl",
    "iiifthumburl",
    "viewtype",
    "sequence",
    "width",
    "height",
    "maxpixels",
    "created",
    "modified",
    "depictstmsobjectid",
    "assistivetext",
]
NGA_SCHOOLS = {"Impressionism": "French", "Cubism": "Spanish", "Realism": "Dutch"}
NGA_STYLE_TERMS = {"Impressionism": "Impressionist", "Cubism": "Cubist", "Realism": "Realist"}


def _write_nga(cat: pd.DataFrame, images: dict[int, np.ndarray], fx: FixturePaths, rng: np.random.Generator) -> None:
    objects, pubs, terms, constituents = [], [], [], []
    term_id = 2_000_000
    for row in cat.itertuples():
        oid = str(1000 + row.work)
        base = dict.fromkeys(NGA_OBJECT_COLUMNS, "")
        base.update(
            objectid=oid,
            accessioned="1",
            accessionnum=f"1937.1.{row.work}",
            title=row.title,
            displaydate=str(row.year),
            beginyear=str(row.year),
            endyear=str(row.year),
            medium="oil on canvas",
            attribution=row.artist_name.replace("_", " "),
            attributioninverted=row.artist_name.replace("_", ", "),
            classification="Painting",
            visualbrowserclassification="painting",
            departmentabbr="CG-E",
            isvirtual="0",
        )
        objects.append(base)
        uuid = hashlib.md5(oid.encode()).hexdigest()
        pubs.append(
            {
                **dict.fromkeys(NGA_IMAGE_COLUMNS, ""),
                "uuid": uuid,
                "iiifurl": f"https://api.nga.gov/iiif/{uuid}",
                "iiifthumburl": f"https://api.nga.gov/iiif/{uuid}/full/!200,200/0/default.jpg",
                "viewtype": "primary",
                "sequence": "0",
                "width": str(row.width),
                "height": str(row.height),
                "depictstmsobjectid": oid,
            }
        )
        for termtype, term in (
            ("Style", NGA_STYLE_TERMS[row.style]),
            ("School", NGA_SCHOOLS[row.style]),
            ("Theme", row.genre.replace("_", " ")),
            ("Keyword", row.title.split()[-1]),
        ):
            term_id += 1
            terms.append(
                {
                    "termid": str(term_id),
                    "objectid": oid,
                    "termtype": termtype,
                    "term": term,
                    "visualbrowsertheme": "",
                    "visualbrowserstyle": "",
                }
            )
        constituents.append(
            {
                "objectid": oid,
                "constituentid": str(500 + max(row.artist_idx, 0)),
                "displayorder": "1",
                "roletype": "artist",
                "role": "painter",
            }
        )
        constituents.append(
            {"objectid": oid, "constituentid": "9999", "displayorder": "1", "roletype": "donor", "role": "donor"}
        )
        _save_jpeg(images[row.work], fx.nga / "images" / f"{oid}.jpg")
    for k in range(3):  # non-paintings, to be filtered out
        objects.append(
            {
                **dict.fromkeys(NGA_OBJECT_COLUMNS, ""),
                "objectid": str(90_000 + k),
                "title": f"Study Sheet {k}",
                "classification": "Print",
            }
        )
    fx.nga.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(objects, columns=NGA_OBJECT_COLUMNS).to_csv(fx.nga / "objects.csv", index=False)
    pd.DataFrame(pubs, columns=NGA_IMAGE_COLUMNS).to_csv(fx.nga / "published_images.csv", index=False)
    pd.DataFrame(terms).to_csv(fx.nga / "objects_terms.csv", index=False)
    pd.DataFrame(constituents).to_csv(fx.nga / "objects_constituents.csv", index=False)


WGA_TYPES = {
    "landscape": "landscape",
    "portrait": "portrait",
    "still_life": "still-life",
    "religious_painting": "religious",
}


def _write_wga(cat: pd.DataFrame, images: dict[int, np.ndarray], fx: FixturePaths) -> None:
    rows = []
    for row in cat.itertuples():
        rel = f"{row.artist_name[0].lower()}/{_slug(row.artist_name)}/{row.file}"
        _save_jpeg(images[row.work], fx.wga_csv.parent / "images" / rel)
        start = (row.year - 1) // 50 * 50 + 1
        rows.append(
            {
                "jpg_link": f"http://www.wga.hu/art/{rel}",
                "AUTHOR": row.artist_name.replace("_", " ").upper(),
                "TITLE": row.title,
                "TECHNIQUE": "Oil on canvas",
                "LOCATION": "Private collection",
                "TYPE": WGA_TYPES[row.genre],
                "SCHOOL": NGA_SCHOOLS[row.style],
                "TIMEFRAME": f"{start}-{start + 49}",
            }
        )
    pd.DataFrame(rows).to_csv(fx.wga_csv, index=False)


def _write_imagefolder(cat: pd.DataFrame, images: dict[int, np.ndarray], fx: FixturePaths) -> None:
    for row in cat.itertuples():
        _save_jpeg(images[row.work], fx.imagefolder / row.genre / row.file)


#: The fewest paintings a fixture can have: its defects take 9 training rows.
MIN_FIXTURE_WORKS = 10


def make_fixture(
    root: str | Path, n_works: int = 360, seed: int = 0, defects: bool = True, overwrite: bool = False
) -> FixturePaths:
    """Write the fixture under ``root`` (reused when already written with the same settings).

    ``n_works`` is at least :data:`MIN_FIXTURE_WORKS` (its defects and splits need that many paintings).
    """
    if int(n_works) < MIN_FIXTURE_WORKS:
        raise ValueError(
            f"n_works={n_works}: the fixture needs at least {MIN_FIXTURE_WORKS} paintings (its "
            "planted defects and three splits draw from them); 360 is the default"
        )
    root = Path(root)
    fx = FixturePaths.under(root, n_works)
    stamp = {"n_works": n_works, "seed": seed, "defects": defects, "version": 2}
    marker = root / "fixture.json"
    if not overwrite and marker.is_file() and json.loads(marker.read_text()) == stamp:
        return fx
    if root.exists():
        if not root.is_dir():
            raise FileExistsError(f"{root} is a file: give make_fixture a folder")
        if any(root.iterdir()) and not marker.is_file():  # never delete what is not a fixture
            raise FileExistsError(
                f"{root} is not empty and holds no fixture (no fixture.json): choose an empty "
                "or new folder; artlib only replaces a fixture it wrote"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    cat = make_catalogue(n_works, seed)
    images = {
        row.work: render_work(row.artist_idx, row.style, row.genre, (row.width, row.height), rng)
        for row in cat.itertuples()
    }
    _write_wikiart(cat, images, fx)
    if defects:
        _add_wikiart_defects(cat, fx, rng, seed)
    _write_pbn(cat, images, fx, rng)
    _write_nga(cat, images, fx, rng)
    _write_wga(cat, images, fx)
    _write_imagefolder(cat, images, fx)
    cat.to_csv(root / "catalogue.csv", index=False)
    marker.write_text(json.dumps(stamp))
    return fx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic artlib fixture dataset.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--n-works", type=int, default=360)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-defects", action="store_true")
    args = parser.parse_args(argv)
    if args.n_works < MIN_FIXTURE_WORKS:
        parser.error(f"--n-works must be at least {MIN_FIXTURE_WORKS} (got {args.n_works})")
    start = time.perf_counter()
    fx = make_fixture(args.root, args.n_works, args.seed, not args.no_defects, overwrite=True)
    print(json.dumps({k: str(v) for k, v in asdict(fx).items()}, indent=1))
    print(f"written in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
