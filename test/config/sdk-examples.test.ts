/**
 * The automation SDK's own JSON examples (its README: "Configuration Reference" `storage`, "Bond Configuration",
 * "Interface Configuration", "Complete Workflow Example") pass unchanged into the tools' inputs.
 */
import { describe, expect, it } from 'vitest';
import { NetworkRequest } from '../../src/core/network-spec.ts';
import { planStorage, storageRequestProblems } from '../../src/core/storage-layouts.ts';
import { LayoutParams } from '../../src/core/storage-spec.ts';
import { disk, host } from './fixtures.ts';

const storage = JSON.parse(`{
    "device": "/dev/sda",
    "params": {
      "efi_mb": 512,
      "boot_size_g": 2,
      "root_size_g": 50,
      "home_size_g": 10,
      "var_size_g": 10,
      "var_log_size_g": 10,
      "tmp_size_g": 10
    }
  }`);

const bonds = JSON.parse(`{
    "network": {
      "bonds": [
        {
          "name": "bond0",
          "interfaces": ["eth0", "eth1"],
          "mode": "802.3ad",
          "mtu": 9000,
          "lacp_rate": "fast",
          "xmit_hash_policy": "layer3+4"
        }
      ]
    }
  }`);

const interfaces = JSON.parse(`{
    "network": {
      "interfaces": [
        {
          "name": "bond0",
          "subnet": "10.0.0.0/24",
          "ip_mode": "static",
          "ip_address": "10.0.0.10",
          "mtu": 9000
        },
        {
          "name": "eth2",
          "subnet": "192.168.1.0/24",
          "ip_mode": "dhcp"
        }
      ]
    }
  }`);

const workflow = JSON.parse(`{
      "hostname": "node01",
      "network": {
        "bonds": [
          {
            "name": "bond0",
            "interfaces": ["eth0", "eth1"],
            "mode": "802.3ad",
            "mtu": 9000
          }
        ],
        "interfaces": [
          {
            "name": "bond0",
            "subnet": "10.0.0.0/24",
            "ip_mode": "static",
            "ip_address": "10.0.0.10"
          }
        ]
      }
    }`);

describe('the automation SDK’s JSON, unchanged', () => {
  it('storage.params (with storage.device) is efi_lvm’s params, and gives the SDK’s layout', () => {
    const params = LayoutParams.parse({ ...storage.params, device: storage.device });
    expect(params).toEqual({ ...storage.params, device: '/dev/sda' });
    expect(storageRequestProblems({ layout: 'efi_lvm', params })).toEqual([]);
    const plan = planStorage(host([disk('sda', 480)]), { layout: 'efi_lvm', params });
    expect(plan.problems).toEqual([]);
    const [sda] = plan.tree.disks;
    expect(sda?.partitions.map((p) => [p.filesystem?.fstype, p.filesystem?.mount_point])).toEqual([
      ['fat32', '/boot/efi'],
      ['xfs', '/boot'],
      ['lvm-pv', null],
    ]);
    expect(
      plan.tree.volume_groups[0]?.logical_volumes.map((lv) => [
        lv.name,
        lv.size / 2 ** 30,
        lv.filesystem?.mount_point,
      ]),
    ).toEqual([
      ['vg-main-root', 50, '/'],
      ['vg-main-home', 10, '/home'],
      ['vg-main-var', 10, '/var'],
      ['vg-main-var-log', 10, '/var/log'],
      ['vg-main-tmp', 10, '/tmp'],
    ]);
  });

  it('network.bonds, network.interfaces and the workflow’s network object are machine_network_configure’s input', () => {
    for (const network of [bonds.network, interfaces.network, workflow.network]) {
      const parsed = NetworkRequest.safeParse(network);
      expect(parsed.error).toBeUndefined();
      expect(parsed.data).toEqual(network);
    }
  });
});
