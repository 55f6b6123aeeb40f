"""Product pictures and brand logos for the demo, drawn with Pillow: a plain
background in the product's colour, a simple outline of the kind of product
(pan, plate, tent, T-shirt, tea leaves...) and its name. Deterministic: the
same product always gives the same bytes (so the same stored file)."""
import io

from PIL import Image, ImageDraw, ImageFont

SIZE = 320
COLOURS = {
    "White": (236, 236, 232), "Black": (52, 52, 56), "Red": (196, 48, 48), "Blue": (44, 92, 170),
    "Green": (56, 140, 84), "Grey": (130, 134, 140), "Olive": (112, 120, 60), "Orange": (230, 120, 30),
    "Navy": (30, 44, 90), "Sand": (206, 182, 138), "Celadon": (150, 190, 160), "Blue and white": (60, 90, 170),
    "Amber": (200, 130, 40),
}
TEA = (96, 128, 60)


def _font(size):
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow built without FreeType: the small bitmap font
        return ImageFont.load_default()


def _lighter(rgb, amount=0.75):
    return tuple(int(c + (255 - c) * amount) for c in rgb)


def _pan(d, ink):
    d.ellipse((60, 70, 220, 230), fill=ink, outline=(30, 30, 30), width=4)
    d.ellipse((80, 90, 200, 210), fill=_lighter(ink, 0.3))
    d.rounded_rectangle((215, 140, 300, 162), radius=8, fill=(40, 40, 40))


def _plate(d, ink):
    for i, inset in enumerate((50, 80, 110)):
        d.ellipse((inset, inset - 20, SIZE - inset, SIZE - inset - 20), outline=ink, width=6 - i,
                  fill=(250, 250, 250) if i == 0 else None)


def _bedding(d, ink):
    d.rounded_rectangle((40, 90, 280, 240), radius=16, fill=ink)
    d.rounded_rectangle((60, 70, 150, 120), radius=14, fill=_lighter(ink, 0.6))
    d.rounded_rectangle((170, 70, 260, 120), radius=14, fill=_lighter(ink, 0.6))


def _tent(d, ink):
    d.polygon([(160, 50), (40, 240), (280, 240)], fill=ink, outline=(30, 30, 30))
    d.polygon([(160, 120), (125, 240), (195, 240)], fill=(30, 30, 30))
    d.line((160, 50, 160, 30), fill=(30, 30, 30), width=4)


def _backpack(d, ink):
    d.rounded_rectangle((90, 60, 230, 250), radius=30, fill=ink, outline=(30, 30, 30), width=3)
    d.rounded_rectangle((110, 150, 210, 230), radius=14, fill=_lighter(ink, 0.35))
    d.arc((120, 30, 200, 100), 180, 360, fill=(30, 30, 30), width=6)


def _garment(d, ink, sleeves_long):
    body = [(110, 60), (210, 60), (280, 110 if sleeves_long else 100), (255, 140), (215, 115), (215, 250),
            (105, 250), (105, 115), (65, 140), (40, 100)]
    if sleeves_long:
        body = [(110, 60), (210, 60), (275, 230), (245, 240), (215, 120), (215, 250), (105, 250), (105, 120),
                (75, 240), (45, 230)]
    d.polygon(body, fill=ink, outline=(30, 30, 30))
    d.arc((135, 40, 185, 85), 0, 180, fill=(30, 30, 30), width=4)


def _tea(d, ink):
    for x, y in ((70, 80), (150, 70), (100, 150), (180, 140)):
        d.ellipse((x, y, x + 90, y + 42), fill=TEA, outline=(60, 90, 40), width=2)
        d.line((x + 8, y + 21, x + 82, y + 21), fill=(60, 90, 40), width=2)
    d.rounded_rectangle((210, 190, 290, 260), radius=10, fill=ink, outline=(30, 30, 30), width=2)


def _teapot(d, ink):
    d.ellipse((80, 100, 240, 240), fill=ink, outline=(30, 30, 30), width=3)
    d.polygon([(230, 150), (290, 110), (295, 120), (240, 180)], fill=ink, outline=(30, 30, 30))
    d.arc((40, 130, 110, 210), 90, 270, fill=(30, 30, 30), width=8)
    d.ellipse((140, 80, 180, 108), fill=_lighter(ink, 0.3), outline=(30, 30, 30), width=2)


SHAPES = {"pan": _pan, "plate": _plate, "bedding": _bedding, "tent": _tent, "backpack": _backpack,
          "jacket": lambda d, ink: _garment(d, ink, True), "tshirt": lambda d, ink: _garment(d, ink, False),
          "tea": _tea, "teapot": _teapot}


def product_picture(kind, colour, label):
    """A PNG (bytes): the outline of ``kind`` in ``colour`` (an English colour
    name, or None) with ``label`` written under it."""
    ink = COLOURS.get(colour or "", (170, 120, 70))
    image = Image.new("RGB", (SIZE, SIZE), _lighter(ink, 0.82))
    draw = ImageDraw.Draw(image)
    SHAPES[kind](draw, ink)
    text = label if len(label) <= 30 else label[:29] + "…"
    font = _font(18)
    width = draw.textlength(text, font=font)
    draw.rectangle((0, SIZE - 44, SIZE, SIZE), fill=(255, 255, 255))
    draw.text(((SIZE - width) / 2, SIZE - 34), text, fill=(40, 40, 40), font=font)
    out = io.BytesIO()
    image.quantize(64).save(out, format="PNG")
    return out.getvalue()


def brand_logo(name, hue):
    """A PNG logo: the brand's initials in a coloured circle."""
    image = Image.new("RGB", (160, 160), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colour = tuple(int(c) for c in hue)
    draw.ellipse((8, 8, 152, 152), fill=colour)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    font = _font(64)
    width = draw.textlength(initials, font=font)
    draw.text(((160 - width) / 2, 40), initials, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.quantize(32).save(out, format="PNG")
    return out.getvalue()
