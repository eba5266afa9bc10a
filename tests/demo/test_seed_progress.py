"""The demo seed's progress: a bar on a terminal, plain lines in logs."""

from __future__ import annotations

import io

from cocreate.demo.seed import progress_printer


class FakeStream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_plain_lines_when_not_a_terminal() -> None:
    stream = FakeStream(terminal=False)
    report = progress_printer(stream)
    for done in range(1, 21):
        report(done, 20)
    assert "\r" not in stream.getvalue()
    assert stream.getvalue() == (
        "Drawing demo designs: 2/20\n"
        "Drawing demo designs: 4/20\n"
        "Drawing demo designs: 6/20\n"
        "Drawing demo designs: 8/20\n"
        "Drawing demo designs: 10/20\n"
        "Drawing demo designs: 12/20\n"
        "Drawing demo designs: 14/20\n"
        "Drawing demo designs: 16/20\n"
        "Drawing demo designs: 18/20\n"
        "Drawing demo designs: 20/20\n"
    )


def test_every_design_has_a_line_when_there_are_few() -> None:
    stream = FakeStream(terminal=False)
    report = progress_printer(stream)
    for done in range(1, 4):
        report(done, 3)
    assert stream.getvalue() == (
        "Drawing demo designs: 1/3\nDrawing demo designs: 2/3\nDrawing demo designs: 3/3\n"
    )


def test_a_bar_redrawn_in_place_on_a_terminal() -> None:
    stream = FakeStream(terminal=True)
    report = progress_printer(stream)
    for done in range(1, 5):
        report(done, 4)
    assert stream.getvalue() == (
        "\rDrawing demo designs [#####...............] 1/4"
        "\rDrawing demo designs [##########..........] 2/4"
        "\rDrawing demo designs [###############.....] 3/4"
        "\rDrawing demo designs [####################] 4/4\n"
    )
