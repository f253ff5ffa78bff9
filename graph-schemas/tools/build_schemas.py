#!/usr/bin/env python3
"""One-off helper that writes the JSON Schemas in graph-schemas/ (draft 2020-12).

The schemas are committed; nothing runs this at build time. It exists so that enum member lists
come straight from Microsoft's metadata (graph-schemas/source, see its README) instead of being
retyped, and so a reviewer can see every relaxation in one place.

Run from the repository root:  python3 graph-schemas/tools/build_schemas.py [path/to/metadata-subset]
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The metadata subset is kept in the repository, beside the schemas it produces.
SUBSET = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "source")
BASE = "https://provctl.invalid/graph-schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

V1 = json.load(open(os.path.join(SUBSET, "v1.0.openapi-components.json")))["components"]["schemas"]
BETA = json.load(open(os.path.join(SUBSET, "beta.openapi-components.json")))["components"]["schemas"]

CASE_NOTE = ("Graph mixes camelCase and PascalCase spellings of enum members (the docs' examples show "
             "both), so the first letter of every member is accepted in either case. Clients must also "
             "tolerate members added later.")


def members(name, src=None):
    src = src or V1
    return list(src["microsoft.graph." + name]["enum"])


def flip(m):
    return m[0].swapcase() + m[1:]


def enum(name, src=None, extra=(), empty=False, note=""):
    ms = members(name, src)
    vals = list(ms)
    for m in ms:
        if flip(m) not in vals:
            vals.append(flip(m))
    for e in extra:
        if e not in vals:
            vals.append(e)
    if empty:
        vals.append("")
    desc = f"CSDL `{name}`: {', '.join(ms)}. {CASE_NOTE}"
    if note:
        desc += " " + note
    return {"description": desc, "type": "string", "enum": vals}


def ref(target):
    return {"$ref": target}


def nullable(schema):
    if set(schema.keys()) == {"type"} and isinstance(schema["type"], str):
        return {"type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


C = "common.schema.json#/$defs/"
STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
NBOOL = {"type": ["boolean", "null"]}
INT64 = ref(C + "int64")
INT32 = ref(C + "int32")
NINT32 = nullable(ref(C + "int32"))
TS = ref(C + "timestamp")
NTS = ref(C + "nullableTimestamp")
DUR = ref(C + "duration")
DETAILS = ref(C + "detailsInfo")


def obj(props, required=(), closed=False, desc=None, title=None):
    s = {}
    if title:
        s["title"] = title
    if desc:
        s["description"] = desc
    s["type"] = "object"
    if required:
        s["required"] = list(required)
    s["properties"] = props
    if closed:
        s["additionalProperties"] = False
    return s


def doc(name, title, desc, root=None, defs=None):
    d = {"$schema": DRAFT, "$id": BASE + (name or ""), "title": title, "description": desc}
    if root:
        d.update(root)
    if defs:
        d["$defs"] = defs
    return d


def collection(item_ref, title, desc):
    return doc(None, title, desc, root=obj({
        "@odata.context": STR,
        "@odata.nextLink": STR,
        "value": {"type": "array", "items": ref(item_ref)},
    }, required=["value"]))


FILES = {}


def put(name, schema):
    schema["$id"] = BASE + name
    FILES[name] = schema


# --------------------------------------------------------------------------------------------
# common
# --------------------------------------------------------------------------------------------
put("common.schema.json", doc(None, "Shared definitions",
    "Types several Graph resources share: timestamps, durations, integers, key/value pairs, details.",
    defs={
        "timestamp": {
            "description": "Edm.DateTimeOffset. Relaxed: the docs' GET synchronizationJob example sends \"\" for "
                           "non-nullable timestamps, and 0001-01-01T00:00:00Z means never.",
            "type": "string",
            "anyOf": [{"format": "date-time"}, {"const": ""}],
        },
        "nullableTimestamp": {"anyOf": [ref("#/$defs/timestamp"), {"type": "null"}]},
        "duration": {
            "description": "Edm.Duration (ISO 8601). Fractional seconds and days appear (P10675199DT2H48M5.4775807S "
                           "= .NET TimeSpan.MaxValue = no schedule), so this is a pattern rather than the RFC 3339 "
                           "duration format.",
            "type": "string",
            "pattern": "^P([0-9]+([.,][0-9]+)?Y)?([0-9]+([.,][0-9]+)?M)?([0-9]+([.,][0-9]+)?W)?([0-9]+([.,][0-9]+)?D)?"
                       "(T([0-9]+([.,][0-9]+)?H)?([0-9]+([.,][0-9]+)?M)?([0-9]+([.,][0-9]+)?S)?)?$",
            "not": {"enum": ["P", "PT"]},
        },
        "int64": {"description": "Edm.Int64.", "type": "integer"},
        "int32": {"description": "Edm.Int32.", "type": "integer", "minimum": -2147483648, "maximum": 2147483647},
        "detailsInfo": {
            "description": "CSDL detailsInfo: an open type with no declared properties; in practice a map of "
                           "strings ({\"SkipReason\":\"RedundantExport\"}).",
            "type": ["object", "null"],
        },
        "keyValuePair": obj({"name": STR, "value": NSTR}, required=["name"], title="keyValuePair"),
        "stringKeyStringValuePair": obj({"key": NSTR, "value": NSTR}, title="stringKeyStringValuePair"),
        "stringKeyLongValuePair": obj({"key": NSTR, "value": INT64}, title="stringKeyLongValuePair"),
        "synchronizationSecret": enum("synchronizationSecret"),
        "synchronizationSecretKeyStringValuePair": obj(
            {"key": ref("#/$defs/synchronizationSecret"), "value": NSTR},
            required=["key"], closed=True, title="synchronizationSecretKeyStringValuePair"),
    }))

# --------------------------------------------------------------------------------------------
# synchronizationJob
# --------------------------------------------------------------------------------------------
J = "synchronizationJob.schema.json#/$defs/"
job_defs = {
    "synchronizationSchedule": obj({
        "expiration": NTS,
        "interval": DUR,
        "state": ref("#/$defs/synchronizationScheduleState"),
    }, title="synchronizationSchedule"),
    "synchronizationScheduleState": enum("synchronizationScheduleState"),
    "synchronizationStatusCode": enum("synchronizationStatusCode"),
    "synchronizationStatus": obj({
        "code": ref("#/$defs/synchronizationStatusCode"),
        "countSuccessiveCompleteFailures": INT64,
        "escrowsPruned": BOOL,
        "lastExecution": nullable(ref("#/$defs/synchronizationTaskExecution")),
        "lastSuccessfulExecution": nullable(ref("#/$defs/synchronizationTaskExecution")),
        "lastSuccessfulExecutionWithExports": nullable(ref("#/$defs/synchronizationTaskExecution")),
        "progress": nullable({"type": "array", "items": ref("#/$defs/synchronizationProgress")}),
        "quarantine": nullable(ref("#/$defs/synchronizationQuarantine")),
        "steadyStateFirstAchievedTime": TS,
        "steadyStateLastAchievedTime": TS,
        "synchronizedEntryCountByType": nullable({"type": "array", "items": ref(C + "stringKeyLongValuePair")}),
        "troubleshootingUrl": NSTR,
    }, title="synchronizationStatus"),
    "quarantineReason": enum("quarantineReason", extra=["QuarantineOnDemand"], empty=True,
                             note="Also relaxed: \"\" (the docs' GET example) and QuarantineOnDemand (the Entra docs' "
                                  "spelling of QuarantinedOnDemand)."),
    "synchronizationQuarantine": obj({
        "currentBegan": TS,
        "error": nullable(ref("#/$defs/synchronizationError")),
        "nextAttempt": TS,
        "reason": ref("#/$defs/quarantineReason"),
        "seriesBegan": TS,
        "seriesCount": INT64,
    }, title="synchronizationQuarantine"),
    "synchronizationError": obj({"code": NSTR, "message": NSTR, "tenantActionable": BOOL},
                                title="synchronizationError"),
    "synchronizationTaskExecutionResult": enum("synchronizationTaskExecutionResult"),
    "synchronizationTaskExecution": obj({
        "activityIdentifier": NSTR,
        **{k: INT64 for k in ["countEntitled", "countEntitledForProvisioning", "countEscrowed", "countEscrowedRaw",
                              "countExported", "countExports", "countImported", "countImportedDeltas",
                              "countImportedReferenceDeltas"]},
        "error": nullable(ref("#/$defs/synchronizationError")),
        "state": ref("#/$defs/synchronizationTaskExecutionResult"),
        "timeBegan": TS,
        "timeEnded": TS,
    }, title="synchronizationTaskExecution"),
    "synchronizationProgress": obj({
        "completedUnits": INT64,
        "progressObservationDateTime": TS,
        "totalUnits": INT64,
        "units": NSTR,
    }, title="synchronizationProgress"),
}
put("synchronizationJob.schema.json", doc(None, "synchronizationJob",
    "CSDL synchronizationJob (v1.0; beta is the same minus the bulkUpload navigation property). "
    "GET /servicePrincipals/{id}/synchronization/jobs/{jobId}, and the 201 answer of a create.",
    root=obj({
        "@odata.context": STR,
        "id": STR,
        "templateId": NSTR,
        "schedule": nullable(ref("#/$defs/synchronizationSchedule")),
        "status": nullable(ref("#/$defs/synchronizationStatus")),
        "synchronizationJobSettings": nullable({"type": "array", "items": ref(C + "keyValuePair")}),
    }, required=["id"]),
    defs=job_defs))
put("synchronizationJob.list.schema.json", collection(
    "synchronizationJob.schema.json", "synchronizationJob collection",
    "GET /servicePrincipals/{id}/synchronization/jobs."))
put("synchronizationJob.create.request.schema.json", doc(None, "create synchronizationJob request",
    "POST /servicePrincipals/{id}/synchronization/jobs.",
    root=obj({"templateId": STR}, required=["templateId"], closed=True)))

# --------------------------------------------------------------------------------------------
# restart
# --------------------------------------------------------------------------------------------
scope_names = members("synchronizationJobRestartScope")
name_alt = "|".join(scope_names)
put("restart.request.schema.json", doc(None, "restart request",
    "POST .../jobs/{jobId}/restart. resetScope is CSDL synchronizationJobRestartScope, a flags enum written as "
    "member names joined by commas (the docs send \", \"). Empty or omitted = the portal's Restart provisioning.",
    root=obj({
        "criteria": nullable(obj({
            "resetScope": {
                "description": f"Flags of {', '.join(scope_names)}, joined by \",\" or \", \"; may be empty.",
                "type": ["string", "null"],
                "pattern": f"^(|({name_alt})(, ?({name_alt}))*)$",
            },
        }, closed=True, title="synchronizationJobRestartCriteria")),
    }, closed=True)))

# --------------------------------------------------------------------------------------------
# provisionOnDemand
# --------------------------------------------------------------------------------------------
put("provisionOnDemand.request.schema.json", doc(None, "provisionOnDemand request",
    "POST .../jobs/{jobId}/provisionOnDemand. For cloud sync the subject objectId is the AD distinguishedName.",
    root=obj({
        "parameters": {"type": "array", "minItems": 1,
                       "items": ref("#/$defs/synchronizationJobApplicationParameters")},
    }, required=["parameters"], closed=True),
    defs={
        "synchronizationJobApplicationParameters": obj({
            "ruleId": STR,
            "subjects": {"type": "array", "minItems": 1, "items": ref("#/$defs/synchronizationJobSubject")},
        }, required=["ruleId", "subjects"], closed=True, title="synchronizationJobApplicationParameters"),
        "synchronizationJobSubject": obj({
            "objectId": STR,
            "objectTypeName": STR,
            "links": ref("#/$defs/synchronizationLinkedObjects"),
        }, required=["objectId", "objectTypeName"], closed=True, title="synchronizationJobSubject"),
        "synchronizationLinkedObjects": obj({
            "manager": ref("#/$defs/synchronizationJobSubject"),
            "members": {"type": "array", "items": ref("#/$defs/synchronizationJobSubject")},
            "owners": {"type": "array", "items": ref("#/$defs/synchronizationJobSubject")},
        }, closed=True, title="synchronizationLinkedObjects"),
    }))
put("provisionOnDemand.response.schema.json", doc(None, "provisionOnDemand response",
    "The 200 answer: CSDL stringKeyStringValuePair whose key and value are JSON documents encoded as strings "
    "(see provisionOnDemand.decoded.schema.json for what they hold).",
    root=obj({
        "@odata.context": STR,
        "key": {"type": "string", "contentMediaType": "application/json",
                "contentSchema": ref("provisionOnDemand.decoded.schema.json#/$defs/key")},
        "value": {"type": "string", "contentMediaType": "application/json",
                  "contentSchema": ref("provisionOnDemand.decoded.schema.json#/$defs/value")},
    }, required=["key", "value"])))
ondemand_result = enum("provisioningResult", note="Here Graph writes PascalCase (Success, Skipped).")
put("provisionOnDemand.decoded.schema.json", doc(None, "provisionOnDemand response, decoded",
    "The provisionOnDemand answer with its key and value strings parsed. Not a metadata type: the shape comes from "
    "the docs' three examples. Enum values are PascalCase here. value is {} for some group runs.",
    root=obj({"key": ref("#/$defs/key"), "value": {"anyOf": [ref("#/$defs/value"), {"type": "null"}]}},
             required=["key"]),
    defs={
        "key": obj({
            "result": ondemand_result,
            "details": {"type": ["object", "null"], "properties": {"errorCode": NSTR, "errorMessage": NSTR}},
        }, title="provisionOnDemand key"),
        "value": obj({
            "action": nullable(enum("provisioningAction", extra=["stageddelete"])),
            "changeId": NSTR,
            "startTime": NTS,
            "endTime": NTS,
            "modifiedProperties": nullable({"type": "array",
                                            "items": ref("provisioningObjectSummary.schema.json#/$defs/modifiedProperty")}),
            "provisioningSteps": nullable({"type": "array", "items": ref("#/$defs/step")}),
            "reportableIdentifier": NSTR,
            "statusInfo": nullable(obj({
                "status": nullable(ondemand_result),
                "errorCode": NSTR, "reason": NSTR, "additionalDetails": NSTR,
                "errorCategory": nullable(enum("provisioningStatusErrorCategory")),
                "recommendedAction": NSTR,
            })),
            "sourceIdentity": nullable(ref("#/$defs/identity")),
            "sourceSystem": nullable(ref("#/$defs/system")),
            "targetIdentity": nullable(ref("#/$defs/identity")),
            "targetSystem": nullable(ref("#/$defs/system")),
        }, title="provisionOnDemand value"),
        "step": obj({
            "name": NSTR,
            "type": nullable(enum("provisioningStepType")),
            "status": nullable(ondemand_result),
            "description": NSTR,
            "timestamp": NTS,
            "details": DETAILS,
        }),
        "identity": obj({"id": NSTR, "type": NSTR, "displayName": NSTR, "details": DETAILS}),
        "system": obj({"id": NSTR, "name": NSTR, "details": DETAILS}),
    }))

# --------------------------------------------------------------------------------------------
# validateCredentials, secrets
# --------------------------------------------------------------------------------------------
put("validateCredentials.request.schema.json", doc(None, "validateCredentials request",
    "POST .../jobs/{jobId}/validateCredentials (and the collection-bound .../jobs/validateCredentials).",
    root=obj({
        "applicationIdentifier": STR,
        "templateId": STR,
        "useSavedCredentials": BOOL,
        "credentials": {"type": "array", "items": ref(C + "synchronizationSecretKeyStringValuePair")},
    }, closed=True)))
put("synchronizationSecrets.request.schema.json", doc(None, "synchronization secrets PUT request",
    "PUT /servicePrincipals/{id}/synchronization/secrets (replaces every secret). Also the GET answer's shape. "
    "The SyncNotificationSettings value is JSON in a string: "
    "{\"Enabled\",\"Recipients\",\"DeleteThresholdEnabled\",\"DeleteThresholdValue\"}.",
    root=obj({
        "@odata.context": STR,
        "value": {"type": "array", "items": ref(C + "synchronizationSecretKeyStringValuePair")},
    }, required=["value"], closed=True),
    defs={
        "syncNotificationSettings": obj({
            "Enabled": BOOL, "Recipients": STR, "DeleteThresholdEnabled": BOOL, "DeleteThresholdValue": INT64,
        }, title="SyncNotificationSettings (decoded secret value)"),
    }))

# --------------------------------------------------------------------------------------------
# provisioning logs
# --------------------------------------------------------------------------------------------
P = "provisioningObjectSummary.schema.json"
summary_props = {
    "@odata.type": STR,
    "id": STR,
    "activityDateTime": TS,
    "changeId": NSTR,
    "cycleId": NSTR,
    "durationInMilliseconds": NINT32,
    "initiatedBy": nullable(ref("#/$defs/initiator")),
    "jobId": NSTR,
    "modifiedProperties": nullable({"type": "array", "items": ref("#/$defs/modifiedProperty")}),
    "provisioningAction": nullable(ref("#/$defs/provisioningAction")),
    "provisioningStatusInfo": nullable(ref("#/$defs/provisioningStatusInfo")),
    "provisioningSteps": nullable({"type": "array", "items": ref("#/$defs/provisioningStep")}),
    "servicePrincipal": nullable(ref("#/$defs/provisioningServicePrincipal")),
    "sourceIdentity": nullable(ref("#/$defs/provisionedIdentity")),
    "sourceSystem": nullable(ref("#/$defs/provisioningSystem")),
    "targetIdentity": nullable(ref("#/$defs/provisionedIdentity")),
    "targetSystem": nullable(ref("#/$defs/provisioningSystem")),
    "tenantId": NSTR,
}
log_defs = {
    "initiator": obj({
        "id": NSTR, "displayName": NSTR,
        "initiatorType": nullable(enum("initiatorType")),
        "initiatingType": {"description": "Not in the metadata: the docs' v1.0 example misspells initiatorType.",
                           "anyOf": [enum("initiatorType"), {"type": "null"}]},
    }, title="initiator"),
    "modifiedProperty": obj({"displayName": NSTR, "oldValue": NSTR, "newValue": NSTR}, title="modifiedProperty"),
    "provisioningAction": enum("provisioningAction", extra=["stageddelete"],
                               note="Also relaxed: stageddelete (the docs' spelling)."),
    "provisioningResult": enum("provisioningResult"),
    "provisioningStepType": enum("provisioningStepType"),
    "provisioningStatusErrorCategory": enum("provisioningStatusErrorCategory"),
    "provisioningStatusInfo": obj({
        "status": nullable(ref("#/$defs/provisioningResult")),
        "errorInformation": nullable(ref("#/$defs/provisioningErrorInfo")),
    }, title="provisioningStatusInfo"),
    "provisioningErrorInfo": obj({
        "errorCode": NSTR, "reason": NSTR, "additionalDetails": NSTR,
        "errorCategory": nullable(ref("#/$defs/provisioningStatusErrorCategory")),
        "recommendedAction": NSTR,
    }, title="provisioningErrorInfo"),
    "provisioningStep": obj({
        "name": NSTR,
        "provisioningStepType": nullable(ref("#/$defs/provisioningStepType")),
        "status": nullable(ref("#/$defs/provisioningResult")),
        "description": NSTR,
        "details": DETAILS,
        "timestamp": {"description": "Not in the metadata: provctl keeps the step time of provisionOnDemand answers.",
                      "anyOf": [NTS]},
    }, title="provisioningStep"),
    "provisioningServicePrincipal": obj({"id": NSTR, "displayName": NSTR}, title="provisioningServicePrincipal"),
    "provisionedIdentity": obj({"id": NSTR, "displayName": NSTR, "identityType": NSTR, "details": DETAILS},
                               title="provisionedIdentity"),
    "provisioningSystem": obj({"id": NSTR, "displayName": NSTR, "details": DETAILS}, title="provisioningSystem"),
    "statusDetails": obj({
        "@odata.type": STR,
        "status": nullable(ref("#/$defs/provisioningResult")),
        "errorCode": NSTR, "reason": NSTR, "additionalDetails": NSTR,
        "errorCategory": nullable(ref("#/$defs/provisioningStatusErrorCategory")),
        "recommendedAction": NSTR,
    }, title="statusBase / statusDetails (beta, deprecated)"),
}
put(P, doc(None, "provisioningObjectSummary (v1.0)",
    "CSDL provisioningObjectSummary, v1.0. GET /auditLogs/provisioning returns a collection of these.",
    root=obj(summary_props, required=["id"]), defs=log_defs))
put("provisioningObjectSummary.beta.schema.json", doc(None, "provisioningObjectSummary (beta)",
    "v1.0 plus Prod beta's deprecated action (Edm.String) and statusInfo (statusBase/statusDetails); "
    "both are absent from the USNat beta CSDL and come from the Prod beta SDK (beta-prod-deltas.json).",
    root={"allOf": [ref(P)], "type": "object", "properties": {
        "action": NSTR,
        "statusInfo": nullable(ref(P + "#/$defs/statusDetails")),
    }}))
put("provisioningObjectSummary.list.schema.json", collection(
    P, "provisioningObjectSummary collection (v1.0)", "GET /v1.0/auditLogs/provisioning."))
put("provisioningObjectSummary.beta.list.schema.json", collection(
    "provisioningObjectSummary.beta.schema.json", "provisioningObjectSummary collection (beta)",
    "GET /beta/auditLogs/provisioning."))

# --------------------------------------------------------------------------------------------
# agents (beta)
# --------------------------------------------------------------------------------------------
A = "onPremisesAgent.schema.json"
pub_type = enum("onPremisesPublishingType", src=BETA)
put(A, doc(None, "onPremisesAgent (beta)",
    "CSDL onPremisesAgent (beta-USNat). GET /beta/onPremisesPublishingProfiles/provisioning/agents/{id}.",
    root=obj({
        "id": STR,
        "externalIp": STR,
        "machineName": STR,
        "status": ref("#/$defs/agentStatus"),
        "supportedPublishingTypes": {"type": "array", "items": ref("#/$defs/onPremisesPublishingType")},
        "agentGroups": {"type": "array", "items": ref("#/$defs/onPremisesAgentGroup")},
    }, required=["id"]),
    defs={
        "agentStatus": enum("agentStatus", src=BETA, note="The docs' example shows \"Active\"."),
        "onPremisesPublishingType": pub_type,
        "onPremisesAgentGroup": obj({
            "id": STR, "displayName": STR, "isDefault": BOOL,
            "publishingType": ref("#/$defs/onPremisesPublishingType"),
            "agents": {"type": "array", "items": ref("#")},
            "publishedResources": {"type": "array", "items": ref("#/$defs/publishedResource")},
        }, required=["id"], title="onPremisesAgentGroup"),
        "publishedResource": obj({
            "id": STR, "displayName": NSTR, "resourceName": NSTR,
            "publishingType": ref("#/$defs/onPremisesPublishingType"),
            "agentGroups": {"type": "array", "items": ref("#/$defs/onPremisesAgentGroup")},
        }, required=["id"], title="publishedResource"),
    }))
put("onPremisesAgent.list.schema.json", collection(
    A, "onPremisesAgent collection (beta)", "GET /beta/onPremisesPublishingProfiles/provisioning/agents."))
put("onPremisesAgentGroup.list.schema.json", collection(
    A + "#/$defs/onPremisesAgentGroup", "onPremisesAgentGroup collection (beta)",
    "GET /beta/onPremisesPublishingProfiles/provisioning/agentGroups."))
put("publishedResource.list.schema.json", collection(
    A + "#/$defs/publishedResource", "publishedResource collection (beta)",
    "GET /beta/onPremisesPublishingProfiles/provisioning/publishedResources."))

# --------------------------------------------------------------------------------------------
# onPremisesDirectorySynchronization
# --------------------------------------------------------------------------------------------
D = "onPremisesDirectorySynchronization.schema.json"
feature_props = {k: NBOOL for k in
                 V1["microsoft.graph.onPremisesDirectorySynchronizationFeature"]["properties"].keys()}
dir_defs = {
    "deletionPreventionType": enum("onPremisesDirectorySynchronizationDeletionPreventionType"),
    "onPremisesAccidentalDeletionPrevention": obj({
        "synchronizationPreventionType": nullable(ref("#/$defs/deletionPreventionType")),
        "alertThreshold": NINT32,
    }, title="onPremisesAccidentalDeletionPrevention"),
    "configuration": obj({
        "accidentalDeletionPrevention": nullable(ref("#/$defs/onPremisesAccidentalDeletionPrevention")),
        "anchorAttribute": NSTR,
        "applicationId": NSTR,
        "currentExportData": nullable(obj({
            "clientMachineName": NSTR, "pendingObjectsAddition": NINT32, "pendingObjectsDeletion": NINT32,
            "pendingObjectsUpdate": NINT32, "serviceAccount": NSTR,
            "successfulLinksProvisioningCount": nullable(INT64),
            "successfulObjectsProvisioningCount": NINT32, "totalConnectorSpaceObjects": NINT32,
        }, title="onPremisesCurrentExportData (beta)")),
        "customerRequestedSynchronizationInterval": nullable(DUR),
        "synchronizationClientVersion": NSTR,
        "synchronizationInterval": nullable(DUR),
        "writebackConfiguration": nullable(obj({"unifiedGroupContainer": NSTR, "userContainer": NSTR},
                                               title="onPremisesWritebackConfiguration (beta)")),
    }, title="onPremisesDirectorySynchronizationConfiguration (v1.0: accidentalDeletionPrevention only; "
             "the rest is beta)"),
    "features": obj(feature_props, title="onPremisesDirectorySynchronizationFeature"),
}
put(D, doc(None, "onPremisesDirectorySynchronization",
    "CSDL onPremisesDirectorySynchronization. GET /directory/onPremisesSynchronization/{id} (id = tenant id).",
    root=obj({
        "@odata.context": STR,
        "id": STR,
        "configuration": nullable(ref("#/$defs/configuration")),
        "features": ref("#/$defs/features"),
    }, required=["id"]), defs=dir_defs))
put("onPremisesDirectorySynchronization.list.schema.json", collection(
    D, "onPremisesDirectorySynchronization collection", "GET /directory/onPremisesSynchronization."))


def closed_copy(schema):
    """The same object schema with additionalProperties: false, for request bodies."""
    out = dict(schema)
    out["additionalProperties"] = False
    return out


put("onPremisesDirectorySynchronization.patch.request.schema.json", doc(None,
    "onPremisesDirectorySynchronization PATCH request",
    "PATCH /directory/onPremisesSynchronization/{id}: only the properties to change.",
    root=obj({
        "configuration": ref("#/$defs/configuration"),
        "features": closed_copy(dir_defs["features"]),
    }, closed=True),
    defs={
        "configuration": obj({
            "accidentalDeletionPrevention": obj({
                "synchronizationPreventionType": ref(D + "#/$defs/deletionPreventionType"),
                "alertThreshold": INT32,
            }, closed=True),
            **{k: ref(D + "#/$defs/configuration/properties/" + k) for k in
               ["anchorAttribute", "applicationId", "customerRequestedSynchronizationInterval",
                "synchronizationClientVersion", "synchronizationInterval", "writebackConfiguration"]},
        }, closed=True),
    }))

# --------------------------------------------------------------------------------------------
# servicePrincipal
# --------------------------------------------------------------------------------------------
put("servicePrincipal.schema.json", doc(None, "servicePrincipal (selected properties)",
    "The servicePrincipal properties provctl selects ($select=id,appId,displayName,applicationTemplateId,tags,"
    "servicePrincipalType). Not in openapi-subset (the type is outside the extraction); written from the "
    "servicePrincipal docs page. Other properties are allowed.",
    root=obj({
        "@odata.context": STR,
        "id": STR,
        "appId": NSTR,
        "displayName": NSTR,
        "applicationTemplateId": NSTR,
        "tags": {"type": "array", "items": STR},
        "servicePrincipalType": NSTR,
        "accountEnabled": NBOOL,
        "appOwnerOrganizationId": NSTR,
        "preferredSingleSignOnMode": NSTR,
    }, required=["id"])))
put("servicePrincipal.list.schema.json", collection(
    "servicePrincipal.schema.json", "servicePrincipal collection", "GET /servicePrincipals (paged)."))

# --------------------------------------------------------------------------------------------
# synchronizationSchema (enough to find rule ids)
# --------------------------------------------------------------------------------------------
put("synchronizationSchema.schema.json", doc(None, "synchronizationSchema (partial)",
    "CSDL synchronizationSchema: the rules with their ids and object mappings; everything else is allowed as is.",
    root=obj({
        "id": STR,
        "version": NSTR,
        "synchronizationRules": nullable({"type": "array", "items": obj({
            "id": NSTR, "name": NSTR, "sourceDirectoryName": NSTR, "targetDirectoryName": NSTR,
            "editable": BOOL, "priority": INT32,
            "objectMappings": nullable({"type": "array", "items": obj({
                "name": NSTR, "enabled": BOOL, "sourceObjectName": NSTR, "targetObjectName": NSTR,
            }, title="objectMapping")}),
        }, title="synchronizationRule")}),
        "directories": {"type": "array"},
    })))

# --------------------------------------------------------------------------------------------
# errors and $batch
# --------------------------------------------------------------------------------------------
inner = {
    "type": "object",
    "properties": {
        "code": STR, "message": STR, "date": STR, "request-id": STR, "client-request-id": STR,
        "innerError": ref("#/$defs/innerError"),
        "innererror": ref("#/$defs/innerError"),
    },
}
put("graphError.schema.json", doc(None, "Graph error envelope",
    "The body of every Graph error: {\"error\":{code, message, innerError{date, request-id, client-request-id}}}. "
    "innerError may nest and its case varies (innerError/innererror). The docs' example holds placeholders, "
    "so date is any string.",
    root=obj({"error": ref("#/$defs/publicError")}, required=["error"]),
    defs={
        "publicError": obj({
            "code": STR, "message": STR, "target": NSTR,
            "details": nullable({"type": "array", "items": obj({"code": NSTR, "message": NSTR, "target": NSTR})}),
            "innerError": ref("#/$defs/innerError"),
            "innererror": ref("#/$defs/innerError"),
        }, required=["code", "message"]),
        "innerError": inner,
    }))
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
put("batch.request.schema.json", doc(None, "JSON $batch request",
    "POST /$batch: up to 20 requests; url is relative to the version root (\"/servicePrincipals/...\").",
    root=obj({
        "requests": {"type": "array", "minItems": 1, "maxItems": 20, "items": obj({
            "id": {"type": "string", "minLength": 1},
            "method": {"type": "string", "enum": METHODS},
            "url": {"type": "string", "minLength": 1},
            "headers": {"type": "object", "additionalProperties": STR},
            "body": {},
            "dependsOn": {"type": "array", "items": STR},
        }, required=["id", "method", "url"], closed=True)},
    }, required=["requests"], closed=True)))
put("batch.response.schema.json", doc(None, "JSON $batch response",
    "The 200 answer of POST /$batch: one response per request id, in any order; each body is the resource, an "
    "error envelope, or absent (204).",
    root=obj({
        "responses": {"type": "array", "items": obj({
            "id": STR,
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "headers": {"type": "object", "additionalProperties": STR},
            "body": {},
        }, required=["id", "status"])},
        "@odata.nextLink": STR,
    }, required=["responses"])))

for name, schema in FILES.items():
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(schema, f, indent=2, ensure_ascii=False)
        f.write("\n")
print(f"wrote {len(FILES)} schemas")
