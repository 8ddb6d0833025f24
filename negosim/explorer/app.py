"""The explorer page: Solara components over an :class:`~negosim.explorer.state.Explorer`.

Solara (the toolkit Mesa's SolaraViz is built on) renders the page and keeps
one browser tab's choices in reactive variables: the draft, the parameter
values, the pair of parties on the frontier, and the bargaining settings.
Everything the page shows comes from the ``Explorer``: the verdict table is
computed at once on every change (it is a handful of array lookups); the exact
analysis and the figures run in background threads, so a large scenario never
freezes the controls, and results that a newer change made stale are shown
faded until the new ones arrive.

Bad input (a parameter typed outside its range or not as a decimal number, an
empty box, an unknown id) is refused: the page keeps its last valid state and
shows the reason in the message box (``.explorer-message``) until the next
valid entry. Nothing here writes a file; the draft download is
served to the browser from memory.

Serve it with ``negosim explore FILE`` (see :mod:`negosim.explorer.server`),
or point ``solara run negosim.explorer.app`` at a scenario with the
``NEGOSIM_EXPLORER_FILE`` environment variable. Only ``negosim explore``
checks the token, ``Host`` and ``Origin`` of every request
(:class:`~negosim.explorer.server.AccessGuard`); ``solara run`` serves the
page to any web site open in the browser.
"""

from __future__ import annotations

import logging
import os
import traceback

import solara
from solara.alias import rv
from solara.components.input import use_change
from solara.datatypes import ResultState

# The figures and the bargaining run import the plotting modules in background threads. Two
# threads importing them for the first time at once (a click on Run while the first frontier
# is drawn) get a partially initialised negosim.plots (ImportError, then KeyError), so the
# page imports them all here (the package imports every plotting module), once, before any
# thread starts.
from negosim import plots  # noqa: F401
from negosim.errors import NegosimError
from negosim.scenario.schema import PROTOCOL_NAMES
from . import tables
from .state import Explorer

log = logging.getLogger("negosim.explorer")

#: The scenario this server explores (set by :func:`configure`).
EXPLORER: Explorer | None = None
#: Resolution of the figures sent to the browser.
FIGURE_DPI = 80

# Per browser tab (Solara scopes module-level reactive variables to each connection).
draft = solara.reactive(None)
params = solara.reactive(None)
pair = solara.reactive(None)
message = solara.reactive("")
input_resets = solara.reactive(0)
protocol = solara.reactive("single_text")
seed = solara.reactive(0)
rounds = solara.reactive(50)
run_request = solara.reactive(0)
show_chart = solara.reactive(False)


def configure(explorer: Explorer) -> None:
    """Set the scenario that every page of this server explores."""
    global EXPLORER
    EXPLORER = explorer


def explorer() -> Explorer:
    """The configured explorer, loading ``$NEGOSIM_EXPLORER_FILE`` on first use if none was set."""
    global EXPLORER
    if EXPLORER is None:
        path = os.environ.get("NEGOSIM_EXPLORER_FILE")
        if not path:
            raise NegosimError("no scenario to explore: run `negosim explore FILE`")
        EXPLORER = Explorer(path, articles=os.environ.get("NEGOSIM_EXPLORER_ARTICLES") or None)
    return EXPLORER


def guarded(action, *args) -> bool:
    """Run a page action; a user error or a bug becomes the message, never a crash."""
    try:
        action(*args)
    except NegosimError as e:
        message.set(str(e))
        input_resets.set(input_resets.value + 1)
        return False
    except Exception as e:  # a bug: keep serving, say so, log the traceback
        log.error("explorer action failed:\n%s", traceback.format_exc())
        message.set(f"internal error: {e.__class__.__name__}: {e}")
        return False
    message.set("")
    return True


def _figure_png(make) -> bytes:
    from negosim.plots.style import png_bytes
    fig = make()
    return png_bytes(fig, dpi=FIGURE_DPI)


def _run_safely(work):
    """Background work's result, or ``("error", message)`` (threads must not raise into the page)."""
    try:
        return ("ok", work())
    except NegosimError as e:
        return ("error", str(e))
    except Exception as e:
        log.error("explorer background work failed:\n%s", traceback.format_exc())
        return ("error", f"internal error: {e.__class__.__name__}: {e}")


# --------------------------------------------------------------------------- controls

def show_number(x) -> str:
    """A number as a box shows it: whole numbers as such, floats as the shortest text that reads back.

    >>> show_number(0.8), show_number(0.0), show_number(50), show_number(1e-05)
    ('0.8', '0.0', '50', '1e-05')
    """
    # Seeds go up to 2**63 - 1, beyond a float's whole numbers: never through float.
    return str(x) if isinstance(x, int) else repr(float(x))


@solara.component
def NumberEntry(label: str, value, on_text, classes: list[str]):
    """A text box for a number; every entry (Enter or leaving the box) goes to ``on_text`` as typed.

    Solara's InputFloat and InputInt parse the text themselves and call back
    only when the parsed value changes, so ``abc`` or an empty box never
    reached the page's message, and typing a valid value equal to the current
    one left an earlier refusal on screen. Here the page parses every entry
    (:func:`~negosim.explorer.state.as_number`): a refusal shows its reason,
    and any accepted entry clears it. After a refusal the box is re-created
    (keyed by ``input_resets``) with the last valid value.
    """
    field = rv.TextField(v_model=show_number(value), label=label, dense=True, hide_details="auto",
                        class_=" ".join(classes))
    use_change(field, on_text)
    return field


@solara.component
def ProvisionPicker(ex: Explorer, current: dict):
    """One select per provision: the option the draft takes."""
    with solara.Card("Draft", subtitle="one option per provision", classes=["explorer-draft"]):
        for prov in ex.provisions:
            def pick(choice, prov=prov):
                guarded(lambda: draft.set(ex.set_option(draft.value, prov.id, prov.option_of(choice))))

            solara.Select(label=prov.label, values=prov.choices, value=prov.choice_of(current[prov.id]),
                          on_value=pick, dense=True, classes=["explorer-provision", f"provision--{prov.id}"])
        solara.Button("Back to the scenario's draft", text=True, classes=["explorer-reset-draft"],
                      on_click=lambda: guarded(lambda: draft.set(ex.default_draft())))


@solara.component
def ParameterSliders(ex: Explorer, current: dict):
    """A slider and a number field per named parameter."""
    if not ex.parameters:
        return
    with solara.Card("Parameters", subtitle="named knobs of the scenario", classes=["explorer-parameters"]):
        for spec in ex.parameters:
            def change(value, pid=spec.id):
                guarded(lambda: params.set(ex.set_param(params.value, pid, value)))

            with solara.Div(classes=["explorer-parameter", f"param--{spec.id}"]):
                solara.SliderFloat(spec.label, value=current[spec.id], min=spec.low, max=spec.high,
                                   step=spec.step, on_value=change, thumb_label=True)
                NumberEntry(f"{spec.id} ({spec.low:g} to {spec.high:g})", current[spec.id], change,
                            ["param-input", f"param-input--{spec.id}"]
                            ).key(f"input-{spec.id}-{input_resets.value}")
                if spec.description:
                    solara.Text(spec.description, style={"font-size": "12px", "color": "#666"})
        solara.Button("Back to the scenario's values", text=True, classes=["explorer-reset-params"],
                      on_click=lambda: guarded(lambda: params.set(ex.default_params())))


@solara.component
def Download(ex: Explorer, current_draft: dict, current_params: dict):
    """The current draft (and parameter values) as a scenario YAML."""
    def data():
        return ex.draft_yaml(current_draft, current_params).encode("utf-8")

    with solara.Card("Save", classes=["explorer-download"]):
        solara.FileDownload(data, filename=ex.download_name(), label="Download this draft as YAML",
                            mime_type="application/x-yaml")
        solara.Text("negosim analyze reads it back: save it beside the scenario it came from.",
                    style={"font-size": "12px", "color": "#666"})


# --------------------------------------------------------------------------- results

@solara.component
def Verdicts(ex: Explorer, current_draft: dict, current_params: dict):
    """Each party's verdict on the draft and why (computed at once)."""
    with solara.Card("Who accepts the draft", classes=["explorer-verdicts"]):
        try:
            verdicts = ex.verdicts(current_draft, current_params)
        except NegosimError as e:
            solara.Error(str(e))
            return
        with solara.Div(classes=["explorer-verdict-body"],
                        attributes={"data-key": ex.key_id(ex.key(current_draft, current_params))}):
            solara.HTML(unsafe_innerHTML=tables.verdict_table(ex, verdicts))
        with solara.Details("Contributions of each provision"):
            solara.HTML(unsafe_innerHTML=tables.contributions_table(ex, verdicts, current_draft))


@solara.component
def Zone(ex: Explorer, key: tuple, analysis_result):
    """The zone of agreement and its solution points; the draft's minimal repairs with apply buttons.

    The zone does not depend on the draft: after a change of draft it is shown
    at once from any finished analysis at the same parameter values, and only
    the repairs wait for the new analysis.
    """
    status, stale = _status(key, analysis_result)
    current_draft, current_params = ex.key_to_inputs(key)
    with solara.Card("Zone of agreement", classes=["explorer-zone"]):
        if status is not None and status[0] == "error" and not stale:
            solara.Error(status[1], classes=["explorer-analysis-error"])
            return
        done = status[1] if status is not None and status[0] == "ok" else None
        zone = ex.zone_for(current_params)
        zone_id = ex.params_id(current_params)
        if zone is None and done is not None:  # an older setting's zone, shown faded
            zone, zone_id = done, ex.params_id(ex.key_to_inputs(result_key(analysis_result))[1])
        if zone is None:
            solara.ProgressLinear(True)
            solara.Text("analysing every package...")
            return
        if stale:
            solara.ProgressLinear(True)
        zone_stale = zone_id != ex.params_id(current_params)
        with solara.Div(classes=["explorer-zone-body"] + (["stale"] if zone_stale else []),
                        attributes={"data-key": zone_id}):
            solara.HTML(unsafe_innerHTML=tables.zone_summary(zone))
            solara.HTML(unsafe_innerHTML=tables.solutions_table(ex, zone, current_draft))
        if done is None:
            return
        a = done
        with solara.Div(classes=["explorer-repairs-body"] + (["stale"] if stale else []),
                        attributes={"data-key": ex.key_id(result_key(analysis_result))}):
            solara.HTML(unsafe_innerHTML=tables.draft_summary(a))
            if a.repair_size == 0:
                solara.Success("The draft lies in the zone of agreement: no repair needed.", dense=True)
            elif a.repairs:
                solara.HTML(unsafe_innerHTML=f"<b>Minimal repairs of the draft</b> ({a.repair_size} change"
                                             f"{'s' if a.repair_size != 1 else ''} each; best {len(a.repairs)} "
                                             "by Nash product); apply one to make it the draft:")
                solara.HTML(unsafe_innerHTML=tables.repairs_table(ex, a))
                with solara.Row(gap="6px"):
                    for k in range(len(a.repairs)):
                        def apply(k=k, d=current_draft, p=current_params):
                            guarded(lambda: draft.set(ex.apply_repair(d, p, k)))

                        solara.Button(f"Apply R{k + 1}", on_click=apply, outlined=True, disabled=stale,
                                      classes=["repair-apply", f"repair-apply--{k}"])


def result_key(result) -> tuple:
    """The key of the settings a background result was computed for."""
    return result.value[0]


def _status(key, result):
    """``(status, stale)``: the thread's ``(kind, value)`` for ``key`` or an older key, or None."""
    if result.value is None:
        return None, False
    done_key, status = result.value
    return status, done_key != key or result.state != ResultState.FINISHED


@solara.component
def Figures(ex: Explorer, key: tuple, figure_result):
    """The acceptance frontier of the chosen pair, and the draft's contributions."""
    status, stale = _status(key, figure_result)
    with solara.Card("Acceptance frontier and contributions", classes=["explorer-figures"]):
        names = list(ex.party_ids)
        with solara.Row():
            solara.Select("x axis", values=names, value=pair.value[0], classes=["pair-x"],
                          on_value=lambda p: guarded(lambda: pair.set(ex.check_pair((p, pair.value[1])))))
            solara.Select("y axis", values=names, value=pair.value[1], classes=["pair-y"],
                          on_value=lambda p: guarded(lambda: pair.set(ex.check_pair((pair.value[0], p)))))
        with solara.Div(classes=["show-chart"]):
            solara.Checkbox(label="Also draw the contributions chart (each party's utility, provision by provision)",
                            value=show_chart)
        if status is None:
            solara.ProgressLinear(True)
            return
        kind, value = status
        if kind == "error":
            solara.Error(value)
            return
        if stale:
            solara.ProgressLinear(True)
        frontier_png, package_png = value
        with solara.Div(classes=["explorer-figure-body"] + (["stale"] if stale else []),
                        attributes={"data-key": ex.key_id(result_key(figure_result)[:2])}):
            solara.Image(frontier_png, width="100%", classes=["frontier-figure"])
            if package_png is not None:
                solara.Image(package_png, width="100%", classes=["package-figure"])


@solara.component
def Bargaining(ex: Explorer, current_draft: dict, current_params: dict):
    """Run the bargaining model from the current draft and show its trace."""
    request = run_request.value

    def work():
        if request == 0:
            return None
        trace = ex.bargain(current_draft, current_params, protocol.value, seed.value, rounds.value)
        note = f"protocol {protocol.value}, seed {seed.value}"
        return trace, _figure_png(lambda: ex.trace_figure(trace, note=note))

    result = solara.use_thread(lambda: _run_safely(work), dependencies=[request], intrusive_cancel=False)
    with solara.Card("Bargaining", subtitle="parties concede over rounds under a protocol",
                     classes=["explorer-bargaining"]):
        with solara.Row():
            solara.Select("protocol", values=list(PROTOCOL_NAMES), value=protocol, classes=["run-protocol"])
            NumberEntry("seed", seed.value, lambda text: guarded(lambda: seed.set(ex.check_seed(text))),
                        ["run-seed"]).key(f"seed-{input_resets.value}")
            NumberEntry("rounds", rounds.value, lambda text: guarded(lambda: rounds.set(ex.check_rounds(text))),
                        ["run-rounds"]).key(f"rounds-{input_resets.value}")
            solara.Button("Run", on_click=lambda: run_request.set(run_request.value + 1),
                          classes=["run-bargaining"], color="primary")
        if request == 0:
            return
        if result.state != ResultState.FINISHED or result.value is None:
            solara.ProgressLinear(True)
            return
        kind, value = result.value
        if kind == "error":
            solara.Error(value, classes=["run-error"])
        elif value is not None:
            trace, png = value
            solara.HTML(unsafe_innerHTML=tables.trace_summary(ex, trace))
            solara.Image(png, width="100%", classes=["trace-figure"])


# --------------------------------------------------------------------------- page

@solara.component
def Page():
    try:
        ex = explorer()
    except NegosimError as e:
        solara.Error(str(e))
        return
    if draft.value is None:
        draft.set(ex.default_draft())
    if params.value is None:
        params.set(ex.default_params())
    if pair.value is None:
        pair.set(ex.default_pair())
    d, p = draft.value, params.value
    key = ex.key(d, p)
    fig_key = key + (pair.value, show_chart.value)

    analysis_result = solara.use_thread(lambda: (key, _run_safely(lambda: ex.analysis(d, p))),
                                        dependencies=[key], intrusive_cancel=False)
    # The figures follow the latest finished analysis (cached, so not recomputed); while a
    # newer one runs, the older figures stay on screen, faded.
    done_key = analysis_result.value[0] if analysis_result.value is not None else None
    chosen = pair.value

    chart = show_chart.value

    def figures():
        if done_key is None:
            return None
        fd, fp = ex.key_to_inputs(done_key)
        return (done_key + (chosen, chart),
                _run_safely(lambda: (_figure_png(lambda: ex.frontier_figure(fd, fp, chosen)),
                                     _figure_png(lambda: ex.package_figure(fd, fp)) if chart else None)))

    figure_result = solara.use_thread(figures, dependencies=[done_key, chosen, chart], intrusive_cancel=False)

    solara.Title(f"negosim explorer: {ex.name}")
    solara.Style(tables.CSS)
    with solara.Column(classes=["explorer"], style={"padding": "12px"}):
        solara.HTML(unsafe_innerHTML=tables.header(ex))
        if message.value:
            solara.Error(message.value, classes=["explorer-message"])
        with solara.Columns([1, 2]):
            with solara.Column():
                ParameterSliders(ex, p)
                ProvisionPicker(ex, d)
                Download(ex, d, p)
            with solara.Column():
                Verdicts(ex, d, p)
                Zone(ex, key, analysis_result)
                Figures(ex, fig_key, figure_result)
                Bargaining(ex, d, p)
