"""The review's map of the commune's hamlets, drawn on the server with no tiles and no network:
each hamlet's outline, a circle whose area is the period's reports received there, its name and
count, a legend, a scale bar and a north arrow. One layout (in the drawing's units, like
charts.py) and two renderers: SVG for the PDF, PNG for the DOCX.

Longitude and latitude are projected equirectangularly, longitudes scaled by the cosine of the
middle latitude: over a commune (a few km) this keeps distances and shapes true to well within
what a printed page shows. The places come from the figures (content.HamletMap), so a finalised
review draws the hamlets where they were when it was signed."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from . import charts
from .content import HamletMap, MapPlace, vn_number

WIDTH = 480  # the drawing's width; the PDF prints it 150 mm wide, like the charts
MAX_MAP_HEIGHT = 420  # the map's box at most; a tall commune is fitted by its height
MIN_MAP_HEIGHT = 160  # hamlets along an east-west road still get room for their labels
PAD = 34  # between the hamlets' extent and the map box: room for the labels at the edge
MAX_RADIUS, MIN_RADIUS = 28.0, 6.0  # the largest count's circle, however close the hamlets
EMPTY_RING = 2.5  # the marker of a hamlet with no report
FONT_SIZE = 11
LINE = 13  # a label's line height
GAP = 2  # between a circle and its label
HALO = 3  # the white edge around a label's letters, so outlines do not cross them
METRES_PER_DEGREE = 111_320  # of latitude, as near as a commune map needs
OUTLINE_FILL, OUTLINE_STROKE = "#e8eef5", "#7f95ad"
CIRCLE_FILL, CIRCLE_STROKE = "#c0392b", "#7b241c"
LEADER = "#555"
NO_DEGREES = 0.01  # the extent shown around a lone point (about 1 km)


@dataclass
class Circle:
    x: float
    y: float
    radius: float  # 0: no report, drawn as a small empty ring that only marks the place
    hamlet: bool = True  # False for the legend's reference circles


@dataclass
class Label:
    lines: list[str]
    left: float
    top: float
    width: float
    height: float
    rise: float  # from the top to the first line's baseline
    leader: tuple[float, ...] | None = None  # x1, y1, x2, y2: to a label set apart

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.left, self.top, self.left + self.width, self.top + self.height


@dataclass
class Text:
    """A single line of text; `anchor` is "start", "middle" or "end" as in SVG."""

    text: str
    x: float
    y: float  # the baseline
    anchor: str = "start"


@dataclass
class MapLayout:
    width: float
    height: float
    map_height: float
    font_path: str | None
    outlines: list[list[list[tuple[float, float]]]]  # per polygon: rings, the outer ring first
    circles: list[Circle]
    labels: list[Label]
    texts: list[Text] = field(default_factory=list)  # the legend's, the scale's, the arrow's
    scale_bar: tuple[float, float, float] = (0.0, 0.0, 0.0)  # x, y, length
    arrow: tuple[float, float] = (0.0, 0.0)  # the tip of the north arrow


# --- projection --------------------------------------------------------------------------


def centre_of(place: MapPlace) -> tuple[float, float]:
    """(latitude, longitude): the hamlet's centre, else the middle of its outline's extent (as
    groups.geo.boundary_centre takes it for the web map)."""
    if place.centre:
        return place.centre[0], place.centre[1]
    points = [point for polygon in place.polygons or [] for ring in polygon for point in ring]
    longitudes = [point[0] for point in points]
    latitudes = [point[1] for point in points]
    return (min(latitudes) + max(latitudes)) / 2, (min(longitudes) + max(longitudes)) / 2


@dataclass
class Projection:
    """Degrees to the drawing's units: x grows east, y south; one unit is as long across as
    down, and the hamlets' extent fills the map box less its padding."""

    west: float
    north: float
    squeeze: float  # cos(middle latitude): a degree of longitude is that much shorter
    scale: float  # units per degree of latitude
    left: float
    top: float

    def __call__(self, latitude: float, longitude: float) -> tuple[float, float]:
        x = self.left + (longitude - self.west) * self.squeeze * self.scale
        y = self.top + (self.north - latitude) * self.scale
        return x, y


def fit(points: list[tuple[float, float]], side: float = PAD) -> tuple[Projection, float]:
    """The projection of (latitude, longitude) points into the map box, `side` from its left
    and right edges and PAD from its top and bottom, and the box's height (the extent's shape
    decides it, between MIN_MAP_HEIGHT and MAX_MAP_HEIGHT)."""
    latitudes = [latitude for latitude, _longitude in points]
    longitudes = [longitude for _latitude, longitude in points]
    south, north = min(latitudes), max(latitudes)
    west, east = min(longitudes), max(longitudes)
    squeeze = math.cos(math.radians((south + north) / 2))
    tall, wide = north - south, (east - west) * squeeze
    if not tall and not wide:  # a lone place: show about a kilometre around it
        tall = wide = NO_DEGREES
    scale = min(
        (WIDTH - 2 * side) / wide if wide else math.inf,
        (MAX_MAP_HEIGHT - 2 * PAD) / tall if tall else math.inf,
    )
    map_height = max(MIN_MAP_HEIGHT, (north - south) * scale + 2 * PAD)
    # The extent centred in the box.
    left = (WIDTH - (east - west) * squeeze * scale) / 2
    top = (map_height - (north - south) * scale) / 2
    return Projection(west, north, squeeze, scale, left, top), map_height


# --- circles and labels ------------------------------------------------------------------


def largest_radius(centres: list[tuple[float, float]]) -> float:
    """The largest count's radius: under half the distance between the two closest hamlets,
    so that two circles never cover each other."""
    closest = min(
        (math.dist(a, b) for index, a in enumerate(centres) for b in centres[index + 1 :]),
        default=math.inf,
    )
    return max(MIN_RADIUS, min(MAX_RADIUS, 0.42 * closest))


def radius(count: int, most: int, largest: float) -> float:
    """A circle's area is proportional to its count."""
    return largest * math.sqrt(count / most) if most else 0.0


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The area two boxes (left, top, right, bottom) share."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


# Where a label may stand around its circle, in order of preference: below, above, right,
# left, then the corners; first touching the circle, then further out with a leader line.
DIRECTIONS = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]
OFFSETS = (0, 10, 22, 36)
FAR = 3.0  # the cost of a unit of distance from the circle, against a unit² covered


def _candidates(circle: Circle, width: float, height: float):
    """(offset, top left) of each place a label of this size may take: the label's edge
    nearest the circle `offset` beyond the circle's edge."""
    r = max(circle.radius, EMPTY_RING) + GAP
    for offset in OFFSETS:
        for dx, dy in DIRECTIONS:
            reach = (r + offset) / math.hypot(dx, dy) if dx and dy else r + offset
            x, y = circle.x + dx * reach, circle.y + dy * reach
            left = x if dx > 0 else x - width if dx < 0 else x - width / 2
            top = y if dy > 0 else y - height if dy < 0 else y - height / 2
            yield offset, (left, top)


def _inside(left: float, top: float, width: float, height: float, box: tuple) -> tuple:
    """The label's top left moved, if need be, so that the label lies within `box`."""
    return (
        min(max(left, box[0]), box[2] - width),
        min(max(top, box[1]), box[3] - height),
    )


def _circle_box(circle: Circle) -> tuple[float, float, float, float]:
    """A square a little wider than the circle's inscribed one: what a label must not cover
    (the bounding square would keep labels from a circle's diagonals needlessly)."""
    half = 0.85 * max(circle.radius, EMPTY_RING)
    return circle.x - half, circle.y - half, circle.x + half, circle.y + half


def place_labels(
    circles: list[Circle],
    texts: list[list[str]],
    font,
    map_width: float,
    map_height: float,
    keep_clear: list[tuple[float, float, float, float]],
) -> list[Label]:
    """Each hamlet's label beside its circle, inside the map, where it covers no other label,
    no circle (its own included) and not the `keep_clear` boxes (the north arrow); where that
    cannot be, further out with a leader line, or at last where it covers least. The bigger
    circles are labelled first."""
    order = sorted(range(len(circles)), key=lambda i: -circles[i].radius)
    boxes = [_circle_box(circle) for circle in circles]
    bounds = (0.0, 0.0, map_width, map_height)
    placed: dict[int, Label] = {}
    for index in order:
        lines = texts[index]
        # The letters' own extent: a stacked accent (Ấ, Ễ) rises well above a capital.
        rise = max(-font.getbbox(line, anchor="ls")[1] for line in lines) + HALO / 2
        drop = max(font.getbbox(line, anchor="ls")[3] for line in lines) + HALO / 2
        width = max(font.getlength(line) for line in lines) + 2 * HALO
        height = rise + LINE * (len(lines) - 1) + drop
        avoid = [label.box for label in placed.values()] + keep_clear + boxes
        best = None
        for offset, (left, top) in _candidates(circles[index], width, height):
            left, top = _inside(left, top, width, height, bounds)
            box = (left, top, left + width, top + height)
            cost = sum(overlap(box, other) for other in avoid) + FAR * offset
            if best is None or cost < best[0]:  # the first of equals: the preferred place
                best = (cost, offset, left, top)
            if cost == 0:
                break
        _cost, offset, left, top = best
        box = (left, top, left + width, top + height)
        leader = _leader(circles[index], box) if offset else None
        placed[index] = Label(lines, left, top, width, height, rise, leader)
    return [placed[index] for index in range(len(circles))]


def _leader(circle: Circle, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    """A line from the circle's edge to the nearest point of a label set apart from it."""
    end = (min(max(circle.x, box[0]), box[2]), min(max(circle.y, box[1]), box[3]))
    distance = math.dist((circle.x, circle.y), end) or 1.0
    r = max(circle.radius, EMPTY_RING)
    start = (
        circle.x + (end[0] - circle.x) * r / distance,
        circle.y + (end[1] - circle.y) * r / distance,
    )
    return (*start, *end)


# --- legend, scale and north arrow -----------------------------------------------------------


def nice_length(most_metres: float) -> float:
    """The longest of 1, 2, 5 × 10ⁿ metres not over `most_metres`."""
    power = 10 ** math.floor(math.log10(most_metres))
    return max(step * power for step in (1, 2, 5) if step * power <= most_metres)


def length_text(metres: float) -> str:
    """ "500 m", "1 km", "2 km": nice_length's lengths are whole metres and whole kilometres."""
    return f"{vn_number(round(metres / 1000))} km" if metres >= 1000 else f"{round(metres)} m"


def reference_counts(most: int) -> list[int]:
    """The legend's circles: the largest count and, when it is big enough, a round smaller one."""
    if most <= 0:
        return []
    smaller = nice_length(most / 4) if most >= 4 else 0
    return [int(smaller), most] if smaller else [most]


def _extent_points(places: list[MapPlace]) -> list[tuple[float, float]]:
    """(latitude, longitude) of every centre and every outline's point: what the map shows."""
    corners = [
        (point[1], point[0])
        for place in places
        for polygon in place.polygons or []
        for ring in polygon
        for point in ring
    ]
    return [*(centre_of(place) for place in places), *corners]


def layout(hamlet_map: HamletMap) -> MapLayout:
    places = hamlet_map.places
    most = max((place.count for place in places), default=0)
    counts = reference_counts(most)
    label_texts = [[place.name, vn_number(place.count)] for place in places]
    names = [line for lines in label_texts for line in lines]
    legend = [hamlet_map.legend, hamlet_map.north, "0123456789 km"]
    font_path = charts.font_for([*names, *legend])
    font = charts.font_at(font_path, FONT_SIZE)
    # A label centred under a hamlet at the east or west edge fits within the map.
    side = max(PAD, max(font.getlength(name) for name in names) / 2 + 2 * HALO)
    side = min(side, WIDTH / 4)  # an overlong name does not shrink the map to nothing
    project, map_height = fit(_extent_points(places), side)
    points = [project(*centre_of(place)) for place in places]
    largest = largest_radius(points)
    circles = [
        Circle(x, y, radius(place.count, most, largest))
        for (x, y), place in zip(points, places, strict=True)
    ]
    outlines = [
        [[project(latitude, longitude) for longitude, latitude in ring] for ring in polygon]
        for place in places
        for polygon in place.polygons or []
    ]
    arrow_box = (WIDTH - 28, 0.0, WIDTH, 44.0)
    labels = place_labels(circles, label_texts, font, WIDTH, map_height, [arrow_box])
    legend_height = 2 * max((radius(n, most, largest) for n in counts), default=0) + 16
    plan = MapLayout(
        WIDTH, map_height + max(legend_height, 36), map_height, font_path, outlines, circles,
        labels,
    )  # fmt: skip
    plan.arrow = (WIDTH - 16, 8.0)
    plan.texts.append(Text(hamlet_map.north, WIDTH - 16, 42, "middle"))
    _legend(plan, hamlet_map.legend, counts, most, largest, font.getlength)
    _scale_bar(plan, project.scale)
    return plan


def _scale_bar(plan: MapLayout, scale: float) -> None:
    """A bar of a round length, at most a fifth of the map's width, at the legend's right."""
    metres = nice_length(WIDTH * 0.2 / scale * METRES_PER_DEGREE)
    bar = metres / METRES_PER_DEGREE * scale
    bottom = plan.height - 10
    plan.scale_bar = (WIDTH - 12 - bar, bottom, bar)
    plan.texts.append(Text(length_text(metres), WIDTH - 12 - bar / 2, bottom - 6, "middle"))


def _legend(plan: MapLayout, text: str, counts: list[int], most: int, largest: float, measure):
    """The legend's words, then the reference circles (drawn to the map's scale) each with its
    count, on the strip under the map; their bottoms on one line."""
    bottom = plan.height - 8
    x = 6.0
    plan.texts.append(Text(text, x, bottom - 4))
    x += measure(text) + 10
    for count in counts:
        r = radius(count, most, largest)
        plan.circles.append(Circle(x + r, bottom - r, r, hamlet=False))
        plan.texts.append(Text(vn_number(count), x + 2 * r + 4, bottom - 4))
        x += 2 * r + 8 + measure(vn_number(count)) + 10


# --- renderers -----------------------------------------------------------------------------


def _baselines(label: Label) -> list[tuple[str, float, float]]:
    """Each line of a label, centred in its box: (text, x, baseline)."""
    middle = label.left + label.width / 2
    return [
        (line, middle, label.top + label.rise + LINE * number)
        for number, line in enumerate(label.lines)
    ]


def _arrow_points(plan: MapLayout) -> list[tuple[float, float]]:
    x, y = plan.arrow
    return [(x, y), (x + 7, y + 20), (x, y + 15), (x - 7, y + 20)]


def svg(plan: MapLayout, title: str) -> str:
    """The map as an inline SVG element (its text escaped)."""
    width, height = round(plan.width), round(plan.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{charts.FONT_FAMILY}" font-size="{FONT_SIZE}">',
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{plan.map_height:.1f}" '
        'fill="none" stroke="#999"/>',
    ]
    for rings in plan.outlines:
        path = " ".join(
            "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z" for ring in rings
        )
        parts.append(
            f'<path d="{path}" fill="{OUTLINE_FILL}" fill-rule="evenodd" '
            f'stroke="{OUTLINE_STROKE}" stroke-width="0.8"/>'
        )
    for circle in plan.circles:
        parts.append(_svg_circle(circle))
    for label in plan.labels:
        if label.leader:
            x1, y1, x2, y2 = label.leader
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{LEADER}" stroke-width="0.8"/>'
            )
    for label in plan.labels:
        for line, x, y in _baselines(label):
            text = escape(line)
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" stroke="#fff" '
                f'stroke-width="{HALO}" stroke-linejoin="round">{text}</text>'
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{text}</text>'
            )
    arrow = " ".join(f"{x:.1f},{y:.1f}" for x, y in _arrow_points(plan))
    parts.append(f'<polygon points="{arrow}" fill="#000"/>')
    for text in plan.texts:
        parts.append(
            f'<text x="{text.x:.1f}" y="{text.y:.1f}" text-anchor="{text.anchor}">'
            f"{escape(text.text)}</text>"
        )
    x, y, length = plan.scale_bar
    parts.append(
        f'<path d="M{x:.1f},{y - 4:.1f} V{y:.1f} H{x + length:.1f} V{y - 4:.1f}" '
        'fill="none" stroke="#000" stroke-width="1.2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _svg_circle(circle: Circle) -> str:
    kind = "hamlet" if circle.hamlet else "reference"
    where = f'class="{kind}" cx="{circle.x:.1f}" cy="{circle.y:.1f}"'
    if circle.radius <= 0:
        return f'<circle {where} r="{EMPTY_RING}" fill="#fff" stroke="{CIRCLE_STROKE}"/>'
    return (
        f'<circle {where} r="{circle.radius:.1f}" fill="{CIRCLE_FILL}" fill-opacity="0.8" '
        f'stroke="{CIRCLE_STROKE}" stroke-width="0.8"/>'
    )


PIL_ANCHORS = {"start": "ls", "middle": "ms", "end": "rs"}


def png(plan: MapLayout, zoom: int = 3) -> bytes:
    """The map as PNG bytes, drawn `zoom` times larger than the SVG for a sharp print."""
    from PIL import Image, ImageDraw

    size = (round(plan.width * zoom), round(plan.height * zoom))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * zoom, point[1] * zoom

    draw.rectangle([0, 0, size[0] - 1, plan.map_height * zoom], outline="#999", width=zoom)
    for rings in plan.outlines:
        # The outer ring filled, its holes cut out: through a mask, so a hole shows what lies
        # under it rather than white.
        mask = Image.new("L", size, 0)
        shape = ImageDraw.Draw(mask)
        for number, ring in enumerate(rings):
            shape.polygon([at(point) for point in ring], fill=0 if number else 255)
        image.paste(OUTLINE_FILL, mask=mask)
    for rings in plan.outlines:
        for ring in rings:
            draw.line([at(point) for point in ring], fill=OUTLINE_STROKE, width=max(1, zoom))
    for circle in plan.circles:
        x, y = at((circle.x, circle.y))
        if circle.radius <= 0:
            r = EMPTY_RING * zoom
            draw.ellipse([x - r, y - r, x + r, y + r], fill="white", outline=CIRCLE_STROKE)
        else:
            r = circle.radius * zoom
            draw.ellipse(
                [x - r, y - r, x + r, y + r], fill=CIRCLE_FILL, outline=CIRCLE_STROKE, width=zoom
            )
    for label in plan.labels:
        if label.leader:
            x1, y1, x2, y2 = label.leader
            draw.line([at((x1, y1)), at((x2, y2))], fill=LEADER, width=max(1, zoom // 2 + 1))
    font = charts.font_at(plan.font_path, FONT_SIZE * zoom)
    for label in plan.labels:
        for line, x, y in _baselines(label):
            draw.text(
                at((x, y)), line, fill="black", font=font, anchor="ms",
                stroke_width=HALO * zoom // 2, stroke_fill="white",
            )  # fmt: skip
    draw.polygon([at(point) for point in _arrow_points(plan)], fill="black")
    for text in plan.texts:
        draw.text(at((text.x, text.y)), text.text, fill="black", font=font,
                  anchor=PIL_ANCHORS[text.anchor])  # fmt: skip
    x, y, length = plan.scale_bar
    bar = [at((x, y - 4)), at((x, y)), at((x + length, y)), at((x + length, y - 4))]
    draw.line(bar, fill="black", width=max(1, round(1.2 * zoom)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
