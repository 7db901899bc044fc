"""A step-type plugin, installed for the user-code tests through a ``sounding.step_types``
entry point: it registers task functions under names no module import could resolve."""

from __future__ import annotations

from sounding.orchestration import StepTypeRegistry
from tests.api import usercode_tasks


def register_step_types(registry: StepTypeRegistry) -> None:
    registry.register_callable(usercode_tasks.echo, "usercode:echo")
    registry.register_callable(usercode_tasks.leave, "usercode:leave")
