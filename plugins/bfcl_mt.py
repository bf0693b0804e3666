# bfcl_mt.py: the Python side of qeval's BFCL multi-turn categories.
#
# The bfcl plugin embeds this file, at build time, at the head of the
# programs it sends to the sandboxed executor (plugins/bfcl_mt.c):
#
#   inference  the first EXEC request of an entry's session runs this
#              file, then _qmt_begin(entry) and _qmt_step(calls); every
#              later request of the session runs only _qmt_step(calls).
#              The model's instances live in this interpreter's globals
#              from one request to the next, as they live in the
#              reference's module globals between its calls.
#   scoring    one one-shot program: this file, then _qmt_check(entry,
#              ground_truth, model_turns), which replays the model's
#              calls and the ground truth turn by turn in fresh instances
#              and prints the verdict.
#
# The environment's classes are imported from their dotted module names
# (bfcl_eval.eval_checker.multi_turn_eval.func_source_code.*), which the
# executor makes importable from the dataset's files ("modules" in the
# request); this file reads nothing from disk.  What it does follows
# BFCL's multi_turn_utils.execute_multi_turn_func_call and
# multi_turn_checker.multi_turn_checker (gorilla, bfcl_eval): same call
# text, same instance naming, same refused names, same result text, same
# order of checks and the same error types and messages.
#
# Every answer is one line on stdout that starts with QMT_MARK, so that
# anything the environment itself prints cannot be mistaken for it.

import copy
import importlib
import inspect
import json
import re

QMT_MARK = "\x1eQMT "
QMT_PKG = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
QMT_CLASS_MODULE = {
    "GorillaFileSystem": QMT_PKG + ".gorilla_file_system",
    "MathAPI": QMT_PKG + ".math_api",
    "MessageAPI": QMT_PKG + ".message_api",
    "TwitterAPI": QMT_PKG + ".posting_api",
    "TicketAPI": QMT_PKG + ".ticket_api",
    "TradingBot": QMT_PKG + ".trading_bot",
    "TravelAPI": QMT_PKG + ".travel_booking",
    "VehicleControlAPI": QMT_PKG + ".vehicle_control",
}
QMT_STATELESS = ("MathAPI",)
QMT_REFUSED = ("kill", "exit", "quit", "remove", "unlink", "popen", "Popen",
               "run")
QMT_MODEL = "qeval"
QMT_DETAIL_MAX = 4000


def _qmt_emit(obj):
    print(QMT_MARK + json.dumps(obj, default=_qmt_plain), flush=True)


def _qmt_plain(value):
    """What json.dumps cannot write, as str() (the reference's
    make_json_serializable)."""
    return str(value)


def _qmt_calls_text(step):
    """One model step ([[name, arguments], ...], arguments a JSON text
    or an object) as call strings: BFCL's convert_to_function_call.
    Raises on what the reference fails to decode."""
    out = []
    for name, value in step:
        if type(value) == str:
            value = json.loads(value)
        args = ",".join([f"{k}={repr(v)}" for k, v in value.items()])
        out.append(f"{name}({args})")
    return out


def _qmt_empty(calls):
    """BFCL's is_empty_execute_response."""
    if len(calls) == 0:
        return True
    if len(calls) == 1 and len(calls[0]) == 0:
        return True
    return False


def _qmt_prefix(call, mapping):
    """BFCL's _process_method_calls: each known method name followed by
    "(" gets its instance's name in front."""

    def one(m):
        name = m.group(1)
        if name in mapping:
            return f"{mapping[name]}.{name}"
        return name

    return re.sub(r"\b([a-zA-Z_]\w*)\s*(?=\()", one, call)


def _qmt_execute(calls, entry, model_name):
    """BFCL's execute_multi_turn_func_call on this interpreter's globals:
    creates the instances of the entry's classes on first use (from a
    deep copy of initial_config), then evals every call.  Returns the
    result strings and {class name: instance}."""
    g = globals()
    mapping = {}
    instances = {}
    config = entry.get("initial_config", {})
    for cls in entry["involved_classes"]:
        iname = re.sub(r"[-./:]", "_",
                       f"{model_name}_{entry['id']}_{cls}_instance")
        if iname not in g:
            module = importlib.import_module(QMT_CLASS_MODULE[cls])
            inst = getattr(module, cls)()
            if cls not in QMT_STATELESS:
                inst._load_scenario(copy.deepcopy(config.get(cls, {})),
                                    long_context=False)
            g[iname] = inst
        else:
            inst = g[iname]
        instances[cls] = inst
        for mname, _ in inspect.getmembers(inst, predicate=inspect.ismethod):
            if mname.startswith("_"):
                continue
            mapping[mname] = iname
    results = []
    for call in calls:
        call = _qmt_prefix(call, mapping)
        try:
            head = call
            if "(" in head:
                head = head.split("(")[0]
            if "." in head:
                head = head.split(".")[1]
            if head in QMT_REFUSED:
                raise Exception(f"Function call {head} is not allowed.")
            res = eval(call, g)
            if type(res) == str:
                pass
            elif type(res) == dict:
                try:
                    res = json.dumps(res)
                except Exception:
                    res = str(res)
            else:
                res = str(res)
            results.append(res)
        except Exception as e:
            results.append(f"Error during execution: {str(e)}")
    return results, instances


# ------------------------------------------------------------------
# Inference: one session per entry

_qmt_entry = None


def _qmt_begin(entry_json):
    global _qmt_entry
    _qmt_entry = json.loads(entry_json)


def _qmt_step(step_json):
    """Executes one model answer's calls on the model's instances and
    prints {"results": [...]} (or {"decode_error": ...} when the
    arguments do not decode as the reference decodes them)."""
    step = json.loads(step_json)
    try:
        calls = _qmt_calls_text(step)
    except Exception as e:
        _qmt_emit({"decode_error": str(e)})
        return
    results, _ = _qmt_execute(calls, _qmt_entry, QMT_MODEL)
    _qmt_emit({"results": results, "calls": calls})


# ------------------------------------------------------------------
# Scoring: multi_turn_runner's checks, then multi_turn_checker's

def _qmt_state(value):
    text = json.dumps(value, default=_qmt_plain)
    if len(text) > QMT_DETAIL_MAX:
        text = text[:QMT_DETAIL_MAX] + "..."
    return text


def _qmt_compare(model, truth):
    differences = {}
    valid = True
    for attr in vars(truth):
        if attr.startswith("_"):
            continue
        m = getattr(model, attr)
        t = getattr(truth, attr)
        if m != t:
            valid = False
            differences[attr] = {"model": _qmt_state(m),
                                 "ground_truth": _qmt_state(t)}
    return valid, differences


def _qmt_unordered(expected, got):
    rest = got[:]
    missing = []
    for item in expected:
        try:
            rest.remove(item)
        except ValueError:
            missing.append(item)
    return len(missing) == 0, missing


def _qmt_verdict(entry, truth, model_turns):
    if type(model_turns) != list:
        return {"valid": False, "error_type": "multi_turn:inference_error",
                "error_message": "Error during inference phase. Model did "
                "not output a list of model responses."}
    if len(model_turns) != len(truth):
        return {"valid": False, "error_type": "multi_turn:force_terminated",
                "error_message": "Model was force-terminated during "
                "inference phase. The length of the model result turns "
                f"({len(model_turns)}) does not match the length of the "
                f"ground truth turns ({len(truth)})."}
    decoded = []
    for turn in model_turns:
        steps = []
        for step in turn:
            try:
                calls = _qmt_calls_text(step)
                if _qmt_empty(calls):
                    continue
                steps.append(calls)
            except Exception:
                continue
        decoded.append(steps)
    model_name = QMT_MODEL + "_eval"
    truth_name = QMT_MODEL + "_ground_truth_eval"
    all_model = []
    for t, truth_calls in enumerate(truth):
        steps = decoded[t]
        turn_results = []
        model_instances = {}
        for calls in steps:
            res, model_instances = _qmt_execute(calls, entry, model_name)
            turn_results.extend(res)
        truth_results, truth_instances = _qmt_execute(truth_calls, entry,
                                                      truth_name)
        all_model.extend(turn_results)
        if len(truth_calls) > 0:
            if not steps or _qmt_empty(steps):
                return {"valid": False, "turn": t,
                        "error_type": "multi_turn:empty_turn_model_response",
                        "error_message": "Model response list is empty for "
                        f"turn {t}"}
        if not truth_calls:
            continue
        for cls, inst in truth_instances.items():
            ok, diff = _qmt_compare(model_instances[cls], inst)
            if not ok:
                return {"valid": False, "turn": t, "class": cls,
                        "error_type": "multi_turn:instance_state_mismatch",
                        "error_message": f"Model instance for {cls} does "
                        "not match the state with ground truth instance.",
                        "differences": diff}
        ok, missing = _qmt_unordered(truth_results, all_model)
        if not ok:
            return {"valid": False, "turn": t,
                    "error_type": "multi_turn:execution_response_mismatch",
                    "error_message": "Model response execution results so "
                    "far does not contain all the ground truth response "
                    f"execution results for turn {t}.",
                    "missing_items": missing}
    return {"valid": True}


def _qmt_check(entry_json, truth_json, turns_json):
    entry = json.loads(entry_json)
    verdict = _qmt_verdict(entry, json.loads(truth_json),
                           json.loads(turns_json))
    _qmt_emit(verdict)
