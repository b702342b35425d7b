"""The coarse grid: cells of about a hundred metres, the only positions kept in clear.

Exact positions are sealed for their owner; what the database can search on is the cell a
site lies in. A cell is a row of 0.001 degrees of latitude (111 m) and a column whose width
in longitude makes it about as wide as it is tall. Ten rows make a band, and every row of a
band shares its column width, so ten by ten cells make a block (about a kilometre): the
squares of the public coverage map, each exactly the union of its hundred cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from .geodesy import BoundingBox, Point, distance_m

ROW_DEGREES = 0.001
BLOCK = 10  # cells per block side
_WIDEST_LATITUDE = 85.0  # columns stop widening here, so the grid stays finite near the poles


def _column_degrees(row: int) -> float:
    """The width in longitude of every cell of the row's band."""
    band = row // BLOCK
    centre = (band * BLOCK + BLOCK / 2) * ROW_DEGREES
    centre = max(-_WIDEST_LATITUDE, min(_WIDEST_LATITUDE, centre))
    return ROW_DEGREES / math.cos(math.radians(centre))


@dataclass(frozen=True, slots=True, order=True)
class Cell:
    """One cell of the grid, by row and column."""

    row: int
    col: int

    @property
    def key(self) -> str:
        """The cell as text, for tables and the wire: "row:col"."""
        return f"{self.row}:{self.col}"

    @classmethod
    def from_key(cls, key: str) -> Cell:
        row, col = key.split(":")
        return cls(int(row), int(col))

    @property
    def box(self) -> BoundingBox:
        """The cell's edges. The columns at the 180th meridian and the rows at the poles stop
        there: their cells are narrower than the others."""
        width = _column_degrees(self.row)
        return BoundingBox(
            max(-90.0, self.row * ROW_DEGREES),
            max(-180.0, self.col * width),
            min(90.0, (self.row + 1) * ROW_DEGREES),
            min(180.0, (self.col + 1) * width),
        )

    @property
    def centre(self) -> Point:
        box = self.box
        return Point((box.south + box.north) / 2, (box.west + box.east) / 2)

    @property
    def corners(self) -> tuple[Point, Point, Point, Point]:
        """South-west, south-east, north-east and north-west corners."""
        b = self.box
        return (
            Point(b.south, b.west),
            Point(b.south, b.east),
            Point(b.north, b.east),
            Point(b.north, b.west),
        )

    @property
    def size_m(self) -> float:
        """The cell's diagonal in metres: how far apart two points of it can be."""
        b = self.box
        return distance_m(Point(b.south, b.west), Point(b.north, b.east))

    @property
    def block(self) -> Block:
        """The public map's square this cell belongs to."""
        return Block(self.row // BLOCK, self.col // BLOCK)


@dataclass(frozen=True, slots=True, order=True)
class Block:
    """Ten by ten cells: a square of the public coverage map (about a kilometre)."""

    row: int
    col: int

    @property
    def box(self) -> BoundingBox:
        first = Cell(self.row * BLOCK, self.col * BLOCK).box
        last = Cell(self.row * BLOCK + BLOCK - 1, self.col * BLOCK + BLOCK - 1).box
        return BoundingBox(first.south, first.west, last.north, last.east)


def cell_of(latitude: float, longitude: float) -> Cell:
    """The cell a position lies in (a position on an edge belongs to the cell north-east)."""
    row = math.floor(latitude / ROW_DEGREES)
    return Cell(row, math.floor(longitude / _column_degrees(row)))


@dataclass(frozen=True, slots=True)
class CellRange:
    """Rows and columns that cover a box: a cheap range query on an index of (row, col).

    Column widths differ between bands, so the range is the widest over the box's bands;
    it may take in a few cells outside the box, never miss one inside it.
    """

    first_row: int
    last_row: int
    first_col: int
    last_col: int

    def cells(self) -> Iterator[Cell]:
        """Every cell of the range, row by row."""
        for row in range(self.first_row, self.last_row + 1):
            for col in range(self.first_col, self.last_col + 1):
                yield Cell(row, col)


def cells_covering(box: BoundingBox) -> CellRange:
    """The rows and columns of every cell that overlaps the box."""
    first_row = math.floor(box.south / ROW_DEGREES)
    last_row = math.floor(box.north / ROW_DEGREES)
    bands = range(first_row // BLOCK, last_row // BLOCK + 1)
    widths = [_column_degrees(band * BLOCK) for band in bands]
    first_col = min(math.floor(box.west / width) for width in widths)
    last_col = max(math.floor(box.east / width) for width in widths)
    return CellRange(first_row, last_row, first_col, last_col)
