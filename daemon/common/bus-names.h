/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-names: the names of org.v2vd.V2V1 — bus name, object paths,
 * interfaces, errors and polkit actions — for the daemon and v2vctl alike
 * (dbus/org.v2vd.V2V1.xml is the introspection data; org.v2vd.V2V1(5) the
 * contract).
 */
#pragma once

#define V2VD_BUS_NAME            "org.v2vd.V2V1"
#define V2VD_MANAGER_PATH        "/org/v2vd/V2V1"
#define V2VD_MANAGER_INTERFACE   "org.v2vd.V2V1.Manager"
#define V2VD_JOB_PATH_PREFIX     "/org/v2vd/V2V1/job"
#define V2VD_JOB_INTERFACE       "org.v2vd.V2V1.Job"

#define V2VD_ERROR_PREFIX             "org.v2vd.V2V1.Error."
#define V2VD_ERROR_INVALID_SPEC       V2VD_ERROR_PREFIX "InvalidSpec"
#define V2VD_ERROR_NO_SUCH_JOB        V2VD_ERROR_PREFIX "NoSuchJob"
#define V2VD_ERROR_JOB_NOT_FINISHED   V2VD_ERROR_PREFIX "JobNotFinished"
#define V2VD_ERROR_JOB_FINISHED       V2VD_ERROR_PREFIX "JobFinished"
#define V2VD_ERROR_JOB_NOT_QUEUED     V2VD_ERROR_PREFIX "JobNotQueued"
#define V2VD_ERROR_TOO_MANY_JOBS      V2VD_ERROR_PREFIX "TooManyJobs"
#define V2VD_ERROR_LIMITS_EXCEEDED    V2VD_ERROR_PREFIX "LimitsExceeded"
#define V2VD_ERROR_SOURCE_ERROR       V2VD_ERROR_PREFIX "SourceError"
#define V2VD_ERROR_CHECK_FAILED       V2VD_ERROR_PREFIX "CheckFailed"

#define V2VD_POLKIT_ACTION_CREATE_JOB      "org.v2vd.V2V1.create-job"
#define V2VD_POLKIT_ACTION_MANAGE_JOB      "org.v2vd.V2V1.manage-job"
#define V2VD_POLKIT_ACTION_MANAGE_ANY_JOB  "org.v2vd.V2V1.manage-any-job"
#define V2VD_POLKIT_ACTION_BROWSE_SOURCES  "org.v2vd.V2V1.browse-sources"
