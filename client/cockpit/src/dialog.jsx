// "Start conversion": the common inputs and outputs of virt-v2v, network
// mapping, limits and profiles; the VMs of a source when the daemon can
// list them (ListSourceVMs), a VM name field when it answers NotSupported.
// The daemon validates the spec: its InvalidSpec message is shown next to
// the field whose key it names. Passwords live only in this dialog's state
// and are sent in CreateJob (and CheckJob); the daemon never returns them.
// "Check" asks CheckJob what would stop or slow down the job: findings
// with a spec key show next to their field, the others above the form.
import React, { useEffect, useState } from "react";
import {
    Alert, Button, Checkbox, DescriptionList, DescriptionListDescription, DescriptionListGroup,
    DescriptionListTerm, Form, FormGroup, FormHelperText, FormSection, FormSelect, FormSelectOption,
    HelperText, HelperTextItem, Modal, ModalVariant, Spinner, TextArea, TextInput,
} from "@patternfly/react-core";
import { MinusCircleIcon, PlusCircleIcon } from "@patternfly/react-icons";

import { buildSpec, errorKey, ERROR_PREFIX, findingsOf } from "./model.js";
import { isAccessDenied } from "./bus.js";

const cockpit = window.cockpit;
const _ = cockpit.gettext;

const INPUTS = [
    ["libvirt", _("libvirt URI: VMware vCenter/ESXi, Xen, KVM")],
    ["vddk", _("VMware vCenter/ESXi over VDDK")],
    ["vmx", _("VMware over SSH (VMX)")],
    ["ova", _("OVA file")],
    ["disk", _("Local disk images")],
];

const OUTPUTS = [
    ["local", _("Local directory")],
    ["libvirt", _("libvirt")],
    ["rhv", _("oVirt / RHV upload")],
    ["openstack", _("OpenStack")],
];

// the field each spec key is shown in
const FIELD_KEYS = new Set([
    "vm_name", "vmware_uri", "vmware_fingerprint", "vmware_password", "vddk_libdir", "libvirt_uri",
    "libvirt_password", "ova", "disk", "output_dir", "libvirt_output_uri", "libvirt_pool", "rhv_url",
    "rhv_password", "rhv_cluster", "rhv_storage", "rhv_cafile", "osp_environment", "osp_server_id",
    "osp_destination_project_id", "osp_flavor_id", "osp_security_groups_ids", "osp_volume_type_id",
    "profile", "name", "output_format", "allocation", "network_mappings", "throttling",
]);

const EMPTY = {
    input: "libvirt", output: "local", vm_name: "", vmware_uri: "", vmware_fingerprint: "", vmware_password: "",
    vddk_libdir: "", libvirt_uri: "", libvirt_password: "", ova: "", disk: "", output_dir: "",
    libvirt_output_uri: "qemu:///system", libvirt_pool: "default", rhv_url: "", rhv_password: "", rhv_cluster: "",
    rhv_storage: "", rhv_cafile: "", osp_environment: "", osp_server_id: "", osp_destination_project_id: "",
    osp_flavor_id: "", osp_security_groups_ids: "", osp_volume_type_id: "", insecure_connection: false,
    profile: "", name: "", output_format: "", allocation: "", network_mappings: [], cpu: "", network: "",
};

// the findings of the last Check, for the fields to show (set by the dialog)
const FindingsContext = React.createContext([]);

function FieldError({ k, error }) {
    const findings = React.useContext(FindingsContext).filter(x => x.key === k && x.severity !== "info");
    if ((!error || error.key !== k) && findings.length === 0)
        return null;
    return (
        <FormHelperText>
            <HelperText>
                {error && error.key === k &&
                    <HelperTextItem variant="error" className="v2v-field-error" data-key={k}>{error.message}</HelperTextItem>}
                {findings.map((x, i) =>
                    <HelperTextItem key={i} variant={x.severity === "error" ? "error" : "warning"}
                                    className="v2v-field-finding" data-key={k} data-code={x.code}>
                        {x.message}
                    </HelperTextItem>)}
            </HelperText>
        </FormHelperText>
    );
}

function Findings({ findings, shown }) {
    const rest = findings.filter(x => !x.key || !shown.has(x.key));
    if (rest.length === 0)
        return null;
    const errors = findings.filter(x => x.severity === "error").length;
    return (
        <Alert isInline variant={errors ? "danger" : "info"} className="v2v-findings"
               title={errors ? cockpit.format(_("The check found $0 error(s)"), errors) : _("The check found no error")}>
            <ul>
                {rest.map((x, i) =>
                    <li key={i} className="v2v-finding" data-code={x.code} data-severity={x.severity}>
                        <strong>{x.severity}</strong> {x.key && <code>{x.key}</code>} {x.message}
                    </li>)}
            </ul>
        </Alert>
    );
}

function Field({ k, label, form, set, error, type, placeholder, isRequired, help, area }) {
    const id = "v2v-field-" + k;
    const props = {
        id,
        name: k,
        value: form[k],
        onChange: (_ev, v) => set(k, v),
        placeholder,
        validated: error && error.key === k ? "error" : "default",
    };
    return (
        <FormGroup label={label} fieldId={id} isRequired={isRequired}>
            {area
                ? <TextArea {...props} resizeOrientation="vertical" autoResize />
                : <TextInput {...props} type={type || "text"} autoComplete={type === "password" ? "new-password" : "off"} />}
            {help && !(error && error.key === k) &&
                <FormHelperText><HelperText><HelperTextItem>{help}</HelperTextItem></HelperText></FormHelperText>}
            <FieldError k={k} error={error} />
        </FormGroup>
    );
}

// What ListSourceVMs takes for the chosen input, or null.
function sourceOf(form) {
    if (form.input === "libvirt" && form.libvirt_uri.trim())
        return { uri: form.libvirt_uri.trim(), ...(form.libvirt_password ? { password: form.libvirt_password } : {}) };
    if (form.input === "vddk" && form.vmware_uri.trim())
        return { uri: form.vmware_uri.trim(), ...(form.vmware_password ? { password: form.vmware_password } : {}) };
    if (form.input === "ova" && form.ova.trim())
        return { ova: form.ova.trim() };
    return null;
}

function formatBytes(n) {
    return cockpit.format_bytes ? cockpit.format_bytes(n, 1024) : String(n);
}

function VmDetails({ vm }) {
    const groups = [
        [_("vCPUs"), vm.vcpus],
        [_("Memory"), vm.memory_bytes ? formatBytes(vm.memory_bytes) : ""],
        [_("Firmware"), vm.firmware],
        [_("State"), vm.state],
        [_("Disks"), (vm.disks || []).map(d => d.path + (d.capacity_bytes ? " (" + formatBytes(d.capacity_bytes) + ")" : "")).join(", ")],
        [_("Networks"), (vm.nics || []).map(n => n.network + (n.mac ? " " + n.mac : "")).join(", ")],
    ].filter(([, v]) => v !== undefined && v !== null && v !== "");
    return (
        <DescriptionList isCompact isHorizontal className="v2v-vm-details">
            {groups.map(([t, v]) =>
                <DescriptionListGroup key={t}>
                    <DescriptionListTerm>{t}</DescriptionListTerm>
                    <DescriptionListDescription>{String(v)}</DescriptionListDescription>
                </DescriptionListGroup>)}
        </DescriptionList>
    );
}

function VmPicker({ conn, form, set, error }) {
    const [vms, setVms] = useState(null);
    const [state, setState] = useState("idle"); // idle, listing, unsupported, error
    const [message, setMessage] = useState("");
    const [details, setDetails] = useState(null);
    const source = sourceOf(form);
    const sourceKey = JSON.stringify(source);

    useEffect(() => { setVms(null); setDetails(null); setState("idle") }, [sourceKey]);

    const list = () => {
        setState("listing");
        conn.managerCall("ListSourceVMs", [JSON.stringify(source)])
                .then(([text]) => {
                    setVms(JSON.parse(text));
                    setState("idle");
                })
                .catch(ex => {
                    setVms(null);
                    if (/\.NotSupported$/.test(ex.name || "")) {
                        setState("unsupported");
                        setMessage(_("This v2vd cannot list the VMs of a source: type the VM name."));
                    } else {
                        setState("error");
                        setMessage(ex.message || String(ex));
                    }
                });
    };

    const pick = name => {
        set("vm_name", name);
        setDetails(null);
        if (!name)
            return;
        conn.managerCall("InspectSourceVM", [JSON.stringify(source), name])
                .then(([text]) => setDetails(JSON.parse(text)))
                .catch(() => setDetails(vms.find(v => v.name === name) || null));
    };

    return (
        <>
            {vms
                ? (
                    <FormGroup label={_("Virtual machine")} fieldId="v2v-field-vm_name" isRequired>
                        <FormSelect id="v2v-field-vm_name" value={form.vm_name} onChange={(_ev, v) => pick(v)}
                                    validated={error && error.key === "vm_name" ? "error" : "default"}>
                            <FormSelectOption value="" label={_("Choose a VM")} isPlaceholder />
                            {vms.map(v => <FormSelectOption key={v.name} value={v.name} label={v.name + (v.state ? " (" + v.state + ")" : "")} />)}
                        </FormSelect>
                        <FieldError k="vm_name" error={error} />
                    </FormGroup>)
                : <Field k="vm_name" label={_("VM name")} form={form} set={set} error={error} isRequired
                         help={state === "unsupported" ? message : undefined} />}
            {source && !vms &&
                <Button variant="link" isInline className="v2v-list-vms" onClick={list} isDisabled={state === "listing"}>
                    {state === "listing" ? <Spinner size="sm" /> : _("List the VMs of this source")}
                </Button>}
            {state === "error" && <Alert isInline isPlain variant="danger" title={message} className="v2v-list-error" />}
            {details && <VmDetails vm={details} />}
        </>
    );
}

export function NewConversionDialog({ conn, onClose, onDenied }) {
    const [form, setForm] = useState(EMPTY);
    const [error, setError] = useState(null); // { key, message }
    const [busy, setBusy] = useState(false);
    const [profiles, setProfiles] = useState([]);
    const [findings, setFindings] = useState(null);
    const [checking, setChecking] = useState(false);
    const [shownKeys, setShownKeys] = useState(new Set());

    useEffect(() => {
        conn.managerCall("ListProfiles", [])
                .then(([names]) => setProfiles(names || []))
                .catch(() => setProfiles([]));
    }, [conn]);

    // changing a field clears the daemon's complaint about it
    const set = (k, v) => {
        setForm(f => ({ ...f, [k]: v }));
        setFindings(fs => fs && fs.filter(x => x.key !== k));
        setError(e => e && (e.key === k || (e.key === "throttling" && (k === "cpu" || k === "network"))) ? null : e);
    };
    const setMapping = (i, k, v) => setForm(f => ({
        ...f, network_mappings: f.network_mappings.map((m, j) => j === i ? { ...m, [k]: v } : m)
    }));

    const submit = () => {
        const spec = buildSpec(form);
        setBusy(true);
        setError(null);
        conn.managerCall("CreateJob", [JSON.stringify(spec)])
                .then(() => {
                    setBusy(false);
                    setForm(EMPTY); // the passwords go with the dialog
                    onClose();
                })
                .catch(ex => {
                    setBusy(false);
                    if (isAccessDenied(ex)) {
                        onDenied();
                        return;
                    }
                    const key = ex.name === ERROR_PREFIX + "InvalidSpec" ? errorKey(ex.message) : null;
                    setError({ key: key && FIELD_KEYS.has(key) ? key : null, message: ex.message || String(ex) });
                });
    };

    const check = () => {
        setChecking(true);
        setError(null);
        conn.managerCall("CheckJob", [JSON.stringify(buildSpec(form))])
                .then(([list]) => {
                    setChecking(false);
                    setFindings(findingsOf(list));
                })
                .catch(ex => {
                    setChecking(false);
                    if (isAccessDenied(ex)) {
                        onDenied();
                        return;
                    }
                    setError({ key: null, message: ex.message || String(ex) });
                });
    };

    // which findings have a field to show them next to, once rendered
    useEffect(() => {
        if (findings)
            setShownKeys(new Set(findings.filter(x => x.key && x.severity !== "info" && document.getElementById("v2v-field-" + x.key))
                    .map(x => x.key)));
    }, [findings]);

    // a key with no field on the form as it is now (another input or
    // output, no profiles): show the message above the form instead
    useEffect(() => {
        if (error && error.key && !document.querySelector('.v2v-field-error[data-key="' + error.key + '"]'))
            setError({ key: null, message: error.message });
    }, [error]);

    const f = { form, set, error };
    const generalError = error && !error.key;

    return (
        <Modal variant={ModalVariant.medium} isOpen onClose={onClose} title={_("Start conversion")}
               className="v2v-new-dialog" position="top"
               actions={[
                   <Button key="start" variant="primary" className="v2v-submit" onClick={submit}
                           isLoading={busy} isDisabled={busy || checking}>{_("Start")}</Button>,
                   <Button key="check" variant="secondary" className="v2v-check" onClick={check}
                           isLoading={checking} isDisabled={busy || checking}>{_("Check")}</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>{_("Cancel")}</Button>,
               ]}>
            <FindingsContext.Provider value={findings || []}>
            <Form isHorizontal onSubmit={ev => { ev.preventDefault(); submit() }}>
                {generalError && <Alert isInline variant="danger" title={error.message} className="v2v-dialog-error" />}
                {findings && <Findings findings={findings} shown={shownKeys} />}
                <FormSection title={_("Source")}>
                    <FormGroup label={_("Input")} fieldId="v2v-field-input">
                        <FormSelect id="v2v-field-input" value={form.input} onChange={(_ev, v) => set("input", v)}>
                            {INPUTS.map(([v, l]) => <FormSelectOption key={v} value={v} label={l} />)}
                        </FormSelect>
                    </FormGroup>
                    {form.input === "libvirt" && <>
                        <Field k="libvirt_uri" label={_("libvirt URI")} {...f} isRequired
                               placeholder="vpx://user@vcenter/Datacenter/esxi?no_verify=1" />
                        <Field k="libvirt_password" label={_("Password")} type="password" {...f} />
                    </>}
                    {form.input === "vddk" && <>
                        <Field k="vmware_uri" label={_("vCenter/ESXi URI")} {...f} isRequired
                               placeholder="vpx://user@vcenter/Datacenter/esxi" />
                        <Field k="vmware_fingerprint" label={_("SSL fingerprint")} {...f} isRequired
                               placeholder="AA:BB:…" />
                        <Field k="vmware_password" label={_("Password")} type="password" {...f} />
                        <Field k="vddk_libdir" label={_("VDDK library directory")} {...f}
                               placeholder="/opt/vmware-vix-disklib-distrib" />
                    </>}
                    {form.input === "vmx" &&
                        <Field k="vmware_uri" label={_("VMX URI")} {...f} isRequired
                               placeholder="ssh://root@esxi/vmfs/volumes/datastore1/vm/vm.vmx" />}
                    {form.input === "ova" &&
                        <Field k="ova" label={_("OVA file")} {...f} isRequired placeholder="/var/tmp/vm.ova" />}
                    {form.input === "disk" &&
                        <Field k="disk" label={_("Disk images")} {...f} isRequired area
                               help={_("Absolute paths, one per line")} />}
                    {["libvirt", "vddk", "ova"].includes(form.input)
                        ? <VmPicker conn={conn} form={form} set={set} error={error} />
                        : <Field k="vm_name" label={_("VM name")} {...f} isRequired />}
                </FormSection>

                <FormSection title={_("Destination")}>
                    {profiles.length > 0 &&
                        <FormGroup label={_("Profile")} fieldId="v2v-field-profile">
                            <FormSelect id="v2v-field-profile" value={form.profile} onChange={(_ev, v) => set("profile", v)}
                                        validated={error && error.key === "profile" ? "error" : "default"}>
                                <FormSelectOption value="" label={_("None")} />
                                {profiles.map(p => <FormSelectOption key={p} value={p} label={p} />)}
                            </FormSelect>
                            <FieldError k="profile" error={error} />
                        </FormGroup>}
                    <FormGroup label={_("Output")} fieldId="v2v-field-output">
                        <FormSelect id="v2v-field-output" value={form.output} onChange={(_ev, v) => set("output", v)}>
                            {OUTPUTS.map(([v, l]) => <FormSelectOption key={v} value={v} label={l} />)}
                            {form.profile && <FormSelectOption value="profile" label={_("As the profile says")} />}
                        </FormSelect>
                    </FormGroup>
                    {form.output === "local" &&
                        <Field k="output_dir" label={_("Directory")} {...f} isRequired placeholder="/var/tmp" />}
                    {form.output === "libvirt" && <>
                        <Field k="libvirt_output_uri" label={_("libvirt URI")} {...f} isRequired />
                        <Field k="libvirt_pool" label={_("Storage pool")} {...f} />
                    </>}
                    {form.output === "rhv" && <>
                        <Field k="rhv_url" label={_("Engine API URL")} {...f} isRequired
                               placeholder="https://engine.example.com/ovirt-engine/api" />
                        <Field k="rhv_password" label={_("Password")} type="password" {...f} isRequired />
                        <Field k="rhv_cluster" label={_("Cluster")} {...f} />
                        <Field k="rhv_storage" label={_("Storage domain")} {...f} isRequired />
                        <Field k="rhv_cafile" label={_("CA certificate file")} {...f} />
                    </>}
                    {form.output === "openstack" && <>
                        <Field k="osp_environment" label={_("Environment")} {...f} area
                               help={_("OS_* variables, one NAME=VALUE a line")} />
                        <Field k="osp_server_id" label={_("Conversion appliance server id")} {...f} />
                        <Field k="osp_destination_project_id" label={_("Destination project id")} {...f} />
                        <Field k="osp_flavor_id" label={_("Flavor id")} {...f} />
                        <Field k="osp_security_groups_ids" label={_("Security group ids")} {...f}
                               help={_("Separated by commas")} />
                        <Field k="osp_volume_type_id" label={_("Volume type id")} {...f} />
                    </>}
                    {(form.output === "rhv" || form.output === "openstack") &&
                        <Checkbox id="v2v-field-insecure" label={_("Do not verify the server's certificate")}
                                  isChecked={form.insecure_connection}
                                  onChange={(_ev, v) => set("insecure_connection", v)} />}
                    <Field k="name" label={_("New VM name")} {...f} help={_("Leave empty to keep the source's name")} />
                    <FormGroup label={_("Disk format")} fieldId="v2v-field-output_format">
                        <FormSelect id="v2v-field-output_format" value={form.output_format}
                                    onChange={(_ev, v) => set("output_format", v)}>
                            <FormSelectOption value="" label={_("Default (raw)")} />
                            <FormSelectOption value="raw" label="raw" />
                            <FormSelectOption value="qcow2" label="qcow2" />
                        </FormSelect>
                        <FieldError k="output_format" error={error} />
                    </FormGroup>
                    <FormGroup label={_("Allocation")} fieldId="v2v-field-allocation">
                        <FormSelect id="v2v-field-allocation" value={form.allocation}
                                    onChange={(_ev, v) => set("allocation", v)}>
                            <FormSelectOption value="" label={_("Default (sparse)")} />
                            <FormSelectOption value="sparse" label={_("Sparse")} />
                            <FormSelectOption value="preallocated" label={_("Preallocated")} />
                        </FormSelect>
                        <FieldError k="allocation" error={error} />
                    </FormGroup>
                </FormSection>

                <FormSection title={_("Networks")}>
                    <FormGroup label={_("Network mapping")} fieldId="v2v-mapping-add">
                        {form.network_mappings.map((m, i) =>
                            <div className="v2v-mapping" key={i}>
                                <TextInput aria-label={_("Source network")} placeholder={_("Source network")} value={m.source}
                                           onChange={(_ev, v) => setMapping(i, "source", v)} />
                                <TextInput aria-label={_("Destination bridge or network")} placeholder={_("Destination bridge or network")}
                                           value={m.destination} onChange={(_ev, v) => setMapping(i, "destination", v)} />
                                <Button variant="plain" aria-label={_("Remove mapping")}
                                        onClick={() => set("network_mappings", form.network_mappings.filter((_m, j) => j !== i))}>
                                    <MinusCircleIcon />
                                </Button>
                            </div>)}
                        <Button id="v2v-mapping-add" variant="link" isInline icon={<PlusCircleIcon />}
                                onClick={() => set("network_mappings", [...form.network_mappings, { source: "", destination: "" }])}>
                            {_("Add mapping")}
                        </Button>
                        <FieldError k="network_mappings" error={error} />
                    </FormGroup>
                </FormSection>

                <FormSection title={_("Limits")}>
                    <Field k="cpu" label={_("CPU limit")} {...f} placeholder={_("unlimited, or e.g. 50%")} />
                    <Field k="network" label={_("Network limit")} {...f} placeholder={_("unlimited, or e.g. 10M (bytes a second)")} />
                    <FieldError k="throttling" error={error} />
                </FormSection>
            </Form>
            </FindingsContext.Provider>
        </Modal>
    );
}
