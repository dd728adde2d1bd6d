/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * message-ids: the journal MESSAGE_IDs of a job's life, one fixed 128-bit
 * id each (never change one: admins and the catalog match on them).
 * systemd/v2vd.catalog explains each (tests/unit/test-catalog.py checks
 * that every id here has its entry and the entries parse).
 */
#pragma once

#define V2VD_MESSAGE_JOB_CREATED    "2c02f5f3185b4c2c84f6c7132b9a028e"
#define V2VD_MESSAGE_JOB_STARTED    "81feb21cbabe4b89ae814960cf9a2c55"
#define V2VD_MESSAGE_JOB_SUCCEEDED  "3b028f121ae24acfaf82c4b959ee04f1"
#define V2VD_MESSAGE_JOB_FAILED     "bdd7f6e4d63c42819ddf06d69c9ca442"
#define V2VD_MESSAGE_JOB_CANCELLED  "34552ea9f4d14952a649d527faaac87d"
