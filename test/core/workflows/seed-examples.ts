/**
 * The automation SDK's own example files, exactly as its README gives them (README "Workflows" says which): the
 * quick start, the five use cases, the network examples, the complete workflow example and the configuration
 * reference. Tests read them unchanged.
 */
export const SEED_EXAMPLES = {
  'quick start': {
    maas_api_url: 'http://10.81.31.31:5240/MAAS',
    maas_api_key: 'consumer:token:secret',
    actions: ['create_machine', 'commission', 'deploy'],
    machines: [
      {
        hostname: 'node01',
        pxe_mac: 'aa:bb:cc:dd:ee:ff',
        power_type: 'ipmi',
        power_parameters: { power_address: '10.0.0.100', power_user: 'root', power_pass: 'password' },
        distro_series: 'jammy',
      },
    ],
  },
  '1. full provisioning': {
    actions: ['create_machine', 'set_power', 'configure_storage', 'commission', 'deploy'],
  },
  '2. re-provision': { actions: ['release', 'configure_storage', 'commission', 'deploy'] },
  '3. cleanup': { actions: ['release', 'delete'] },
  '4. commission only': { actions: ['commission'], machines: [{ hostname: 'existing-node' }] },
  '5. multiple machines': {
    actions: ['commission', 'deploy'],
    machines: [
      { hostname: 'node01', distro_series: 'jammy' },
      { hostname: 'node02', distro_series: 'focal' },
    ],
  },
  'bond configuration': {
    network: {
      bonds: [
        {
          name: 'bond0',
          interfaces: ['eth0', 'eth1'],
          mode: '802.3ad',
          mtu: 9000,
          lacp_rate: 'fast',
          xmit_hash_policy: 'layer3+4',
        },
      ],
    },
  },
  'interface configuration': {
    network: {
      interfaces: [
        { name: 'bond0', subnet: '10.0.0.0/24', ip_mode: 'static', ip_address: '10.0.0.10', mtu: 9000 },
        { name: 'eth2', subnet: '192.168.1.0/24', ip_mode: 'dhcp' },
      ],
    },
  },
  'complete workflow example': {
    actions: ['create_machine', 'commission', 'configure_network', 'deploy'],
    machines: [
      {
        hostname: 'node01',
        network: {
          bonds: [{ name: 'bond0', interfaces: ['eth0', 'eth1'], mode: '802.3ad', mtu: 9000 }],
          interfaces: [{ name: 'bond0', subnet: '10.0.0.0/24', ip_mode: 'static', ip_address: '10.0.0.10' }],
        },
      },
    ],
  },
  'configuration reference': {
    maas_api_url: 'https://maas-server:5240/MAAS',
    maas_api_key: 'consumer:token:secret',
    actions: ['create_machine', 'commission', 'deploy'],
    machine: {
      hostname: 'node01',
      pxe_mac: 'aa:bb:cc:dd:ee:ff',
      power_type: 'ipmi',
      power_parameters: { power_address: '10.0.0.100', power_user: 'admin', power_pass: 'password' },
      distro_series: 'jammy',
      commissioning_scripts: ['update_firmware'],
      wait_commissioning: true,
      commission_timeout: 1200,
      wait_deployment: true,
      deploy_timeout: 1800,
    },
    storage: {
      device: '/dev/sda',
      params: {
        efi_mb: 512,
        boot_size_g: 2,
        root_size_g: 50,
        home_size_g: 10,
        var_size_g: 10,
        var_log_size_g: 10,
        tmp_size_g: 10,
      },
    },
    release: { wipe_disks: true, wait_release: true },
  },
} as const;
