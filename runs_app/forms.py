"""The "Run now" form: an application, a pipeline or job published on main, its parameters.

The parameter fields come from the chosen definition (declared ``<parameter>``s with their
defaults, plus ``runDate``), so the form is built per request from ``main``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from config_repo import ConfigRepoError
from runs_app import definitions, operations, services
from runs_app.definitions import DefinitionNotFound

__all__ = ["DefinitionNotFound", "RunNowForm", "params_from_post"]
PARAM_PREFIX = "param_"


@dataclass(frozen=True)
class Choice:
    kind: str  # pipeline | job
    id: str
    layer: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"


def published(application: str) -> tuple[list[Choice], str]:
    """Pipelines and jobs of ``application`` on main, and a problem text when main can't be read."""
    try:
        found = definitions.repository().definitions("main", application=application)
    except (ConfigRepoError, ValueError) as error:
        return [], f"The config repository could not be read: {error}"
    choices = [Choice(d.kind.rstrip("s"), d.id, d.layer) for d in found]
    return sorted(choices, key=lambda c: (c.kind != "job", c.layer, c.id)), ""


def params_from_post(post) -> dict:
    """``param_<name>`` fields and ``runDate``; a blank field means "use the default"."""
    params = {
        key[len(PARAM_PREFIX) :]: value.strip()
        for key, value in post.items()
        if key.startswith(PARAM_PREFIX) and value.strip()
    }
    if post.get("runDate", "").strip():
        params["runDate"] = post["runDate"].strip()
    return params


class RunNowForm(forms.Form):
    application = forms.ChoiceField(label="Application")
    definition = forms.ChoiceField(label="Pipeline or job")
    runDate = forms.DateField(
        label="Run date (runDate)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: today (or the schedule slot's date).",
    )
    through = forms.DateField(
        label="Backfill through",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: one run. A date: one run per day from the run date to this one.",
    )

    @classmethod
    def build(cls, data, applications: list[str]) -> RunNowForm:
        application = data.get("application", "")
        if not application and len(applications) == 1:
            application = applications[0]
        choices, problem = published(application) if application in applications else ([], "")
        chosen = data.get("definition", "")
        if not chosen and data.get("pipeline"):
            chosen = f"pipeline:{data['pipeline']}"
        elif not chosen and data.get("job"):
            chosen = f"job:{data['job']}"
        choice = next((c for c in choices if c.value == chosen), None)
        bound = data if data.get("submit") else None
        form = cls(bound, initial={"application": application, "definition": chosen})
        form.chosen_application = application
        form.choice = choice
        form.problem = problem
        form.fields["application"].choices = [("", "Choose…")] + [(a, a) for a in applications]
        form.fields["definition"].choices = [("", "Choose…")] + [
            (c.value, f"{c.id} ({c.kind}, {c.layer})") for c in choices
        ]
        form.declared = form._add_parameters(application, choice)
        return form

    def _add_parameters(self, application: str, choice: Choice | None) -> list[str]:
        if choice is None:
            return []
        try:
            commit = definitions.head()
            definition = definitions.find(commit, application, choice.kind, choice.id).definition
        except (ConfigRepoError, DefinitionNotFound, ValueError) as error:
            self.problem = str(error)
            return []
        except Exception as error:  # a definition that no longer parses on main
            self.problem = f"{choice.id} cannot be read on main: {str(error)[:300]}"
            return []
        names = []
        for parameter in definition.parameters:
            name = f"{PARAM_PREFIX}{parameter.name}"
            self.fields[name] = forms.CharField(
                label=parameter.name,
                required=False,
                initial=parameter.default or "",
                help_text=f"Default: {parameter.default}" if parameter.default else "No default",
            )
            names.append(name)
        return names

    def parameter_fields(self):
        return [self[name] for name in self.declared]

    def submit(self, user, client=operations.NO_CLIENT):
        """Queues the run (a backfill: the list of runs); None, with the reason on the form,
        when it can't."""
        if not self.is_bound:  # a post without "submit" (the form redrawn): nothing to queue
            return None
        if self.choice is None:
            chosen = self.data.get("definition", "").partition(":")[2]
            self.errors.pop("definition", None)
            missing = f"{chosen} is not published on main for {self.chosen_application}. "
            missing = missing if chosen else ""
            self.add_error("definition", missing + "Choose a pipeline or job published on main.")
            return None
        if not self.is_valid():
            return None
        params = params_from_post(self.data)
        name = {"pipeline_id": self.choice.id} if self.choice.kind == "pipeline" else {}
        name = name or {"job_id": self.choice.id}
        first, last = self.cleaned_data.get("runDate"), self.cleaned_data.get("through")
        if last and not first:
            self.add_error("runDate", "A backfill starts at a run date: give the first one.")
            return None
        try:
            if last:
                return operations.backfill(
                    actor=user,
                    application=self.chosen_application,
                    first=first,
                    last=last,
                    params=params,
                    client=client,
                    **name,
                )
            return operations.trigger(
                actor=user,
                application=self.chosen_application,
                params=params,
                client=client,
                **name,
            )
        except (services.RunRefused, DefinitionNotFound, ConfigRepoError) as refused:
            self.add_error(None, str(refused))
            return None
