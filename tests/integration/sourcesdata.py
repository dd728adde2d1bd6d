"""Test data for the sources tests: libvirt test-driver XML files
and OVA archives (tar, zip, directory, and broken ones), made at run time.
Shared by test-sources.py, test-sources-ova.py and test_v2vctl_sources.py."""

import hashlib
import io
import os
import socket
import tarfile
import threading
import zipfile

MARKER_PASSWORD = "pw-MARKER-7f3a91c2"
USER = "alice"


def _disk(target, path, fmt="qcow2", bus="virtio", device="disk"):
    src = '<source file="%s"/>' % path if path else ""
    return ('<disk type="file" device="%s"><driver name="qemu" type="%s"/>%s'
            '<target dev="%s" bus="%s"/></disk>' % (device, fmt, src, target, bus))


def _nic(mac, kind, source, model):
    attr = "network" if kind == "network" else "bridge"
    return ('<interface type="%s"><mac address="%s"/><source %s="%s"/><model type="%s"/></interface>'
            % (kind, mac, attr, source, model))


def _domain(name, uuid, running, uefi, disks, nics, snapshots=(), vcpus=2, mem_mib=2048):
    os_xml = ('<os firmware="efi"><type arch="x86_64" machine="pc-q35-7.2">hvm</type></os>' if uefi
              else '<os><type arch="x86_64" machine="pc-i440fx-7.2">hvm</type></os>')
    snaps = "".join(
        '<test:domainsnapshot><name>%s</name><state>shutoff</state><creationTime>%d</creationTime>'
        '<active>%d</active><domain><uuid>%s</uuid></domain></test:domainsnapshot>'
        % (s, 1700000000 + i, 1 if i == len(snapshots) - 1 else 0, uuid) for i, s in enumerate(snapshots))
    return ('<domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">'
            '<name>%s</name><uuid>%s</uuid><memory unit="MiB">%d</memory><vcpu>%d</vcpu>%s'
            '<devices>%s%s</devices>%s%s</domain>'
            % (name, uuid, mem_mib, vcpus, os_xml, "".join(disks), "".join(nics),
               "" if running else "<test:runstate>5</test:runstate>", snaps))


def driver_xml(auth=True):
    """Three domains: web (shut off, UEFI, 2 disks + a CD-ROM, 2 NICs, 2
    snapshots), db (running, BIOS), legacy (shut off, BIOS, 3 disks, 3 NICs)."""
    doms = [
        _domain("web", "11111111-2222-3333-4444-555555555501", False, True,
                [_disk("vda", "/var/lib/libvirt/images/web-os.qcow2"),
                 _disk("sdb", "/var/lib/libvirt/images/web-data.raw", "raw", "sata"),
                 _disk("sdc", None, "raw", "sata", "cdrom")],
                [_nic("52:54:00:00:01:01", "network", "default", "virtio"),
                 _nic("52:54:00:00:01:02", "bridge", "br0", "e1000")],
                snapshots=("before-upgrade", "after-upgrade"), vcpus=4, mem_mib=4096),
        _domain("db", "11111111-2222-3333-4444-555555555502", True, False,
                [_disk("vda", "/var/lib/libvirt/images/db.qcow2")],
                [_nic("52:54:00:00:02:01", "network", "default", "virtio")]),
        _domain("legacy", "11111111-2222-3333-4444-555555555503", False, False,
                [_disk("hda", "/images/legacy-1.img", "raw", "ide"),
                 _disk("hdb", "/images/legacy-2.img", "raw", "ide"),
                 _disk("hdc", "/images/legacy-3.vmdk", "vmdk", "ide")],
                [_nic("52:54:00:00:03:0%d" % i, "network", "lan%d" % i, "rtl8139") for i in (1, 2, 3)],
                vcpus=1, mem_mib=512),
    ]
    a = ('<auth><user password="%s">%s</user></auth>' % (MARKER_PASSWORD, USER)) if auth else ""
    return "<node>%s%s</node>\n" % (a, "".join(doms))


def many_domains_xml(n):
    doms = [_domain("vm%03d" % i, "22222222-0000-0000-0000-%012d" % i, i % 3 == 0, i % 2 == 0,
                    [_disk("vda", "/images/vm%03d.qcow2" % i)],
                    [_nic("52:54:00:10:%02x:%02x" % (i // 256, i % 256), "network", "default", "virtio")])
            for i in range(n)]
    return "<node>%s</node>\n" % "".join(doms)


# ------------------------------------------------------------------ OVA

def ovf(name="appliance", disks=(("vmdisk1", "file1", "disk1.vmdk", 16), ("vmdisk2", "file2", "disk2.vmdk", 2)),
        uefi=True, broken=False, href_override=None):
    refs = "".join('<File ovf:id="%s" ovf:href="%s" ovf:size="%d"/>'
                   % (f, href_override or h, 1024) for (_, f, h, _) in disks)
    dsec = "".join('<Disk ovf:diskId="%s" ovf:fileRef="%s" ovf:capacity="%d" '
                   'ovf:capacityAllocationUnits="byte * 2^30" ovf:populatedSize="1048576" '
                   'ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>'
                   % (d, f, cap) for (d, f, _, cap) in disks)
    items = "".join('<Item><rasd:AddressOnParent>%d</rasd:AddressOnParent><rasd:ElementName>Hard disk %d</rasd:ElementName>'
                    '<rasd:HostResource>ovf:/disk/%s</rasd:HostResource><rasd:InstanceID>%d</rasd:InstanceID>'
                    '<rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>'
                    % (i, i, d, 10 + i) for i, (d, _, _, _) in enumerate(disks))
    text = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
 xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
 xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>%(refs)s</References>
  <DiskSection><Info>Virtual disks</Info>%(dsec)s</DiskSection>
  <NetworkSection><Info>Networks</Info>
    <Network ovf:name="VM Network"><Description>The VM Network network</Description></Network>
    <Network ovf:name="Storage"><Description>iSCSI</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="%(name)s">
    <Info>A virtual machine</Info>
    <Name>%(name)s</Name>
    <OperatingSystemSection ovf:id="80" vmw:osType="rhel7_64Guest"><Info>OS</Info><Description>Red Hat Enterprise Linux 7 (64-bit)</Description></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <System><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>4 virtual CPU(s)</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>6144MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>6144</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      %(items)s
      <Item><rasd:AddressOnParent>7</rasd:AddressOnParent><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>20</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item><rasd:Address>00:50:56:aa:bb:cc</rasd:Address><rasd:Connection>Storage</rasd:Connection><rasd:ElementName>Network adapter 2</rasd:ElementName><rasd:InstanceID>21</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      %(fw)s
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
""" % {"refs": refs, "dsec": dsec, "name": name, "items": items,
       "fw": '<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>' if uefi else ""}
    if broken:
        text = text.replace("</NetworkSection>", "</NetworkSectio>")
    return text.encode()


def disk_bytes(i):
    return (b"KDMV" + bytes([i]) * 4092) * 4


def manifest(files, algo="SHA256", corrupt=None):
    lines = []
    for name, data in files:
        h = hashlib.new(algo.lower(), data).hexdigest()
        if name == corrupt:
            h = ("0" if h[0] != "0" else "1") + h[1:]
        lines.append("%s(%s)= %s\n" % (algo, name, h))
    return "".join(lines).encode()


def members(name="appliance", with_mf=True, corrupt=None, drop=None, algo="SHA256", **kw):
    o = ovf(name, **kw)
    files = [("%s.ovf" % name, o), ("disk1.vmdk", disk_bytes(1)), ("disk2.vmdk", disk_bytes(2))]
    files = [f for f in files if f[0] != drop]
    if with_mf:
        files.insert(1, ("%s.mf" % name, manifest(files, algo, corrupt)))
    return files


def write_tar(path, files, extra=()):
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in list(files) + list(extra):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return path


def write_zip(path, files):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return path


def write_dir(path, files):
    os.makedirs(path, exist_ok=True)
    for name, data in files:
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    return path


def write_huge_sparse_tar(path, size):
    """An OVA whose disk member is SIZE bytes of holes: the file is sparse,
    only the headers and the OVF take room. The manifest lists the OVF only."""
    o = ovf("huge", disks=(("vmdisk1", "file1", "huge-disk1.vmdk", size >> 30),))
    mf = manifest([("huge.ovf", o)])
    with open(path, "wb") as f:
        for name, data in (("huge.ovf", o), ("huge.mf", mf)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            f.write(ti.tobuf(format=tarfile.PAX_FORMAT))
            f.write(data + b"\0" * (-len(data) % 512))
        ti = tarfile.TarInfo("huge-disk1.vmdk")
        ti.size = size
        f.write(ti.tobuf(format=tarfile.PAX_FORMAT))
        end = f.tell() + size
        f.truncate(end)
        f.seek(end)
        f.write(b"\0" * 1024)
    return path


class SilentServer:
    """Accepts TCP connections on a loopback port and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                return

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()
