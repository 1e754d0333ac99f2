import { SqlNames } from './sql-names';

describe('SqlNames', () => {
  it('names tables as Clouddriver does, folded to lower case as PostgreSQL stores them', () => {
    const names = new SqlNames();
    expect(names.resourceTable('serverGroups')).toBe('cats_v1_servergroups');
    expect(names.relTable('serverGroups')).toBe('cats_v1_servergroups_rel');
    expect(names.resourceTable('onDemand')).toBe('cats_v1_ondemand');
    expect(names.resourceTable('aws.instances-x')).toBe('cats_v1_aws_instances_x');
  });

  it('puts the table namespace after the version', () => {
    const names = new SqlNames('spin');
    expect(names.resourceTable('instances')).toBe('cats_v1_spin_instances');
    expect(names.relTable('instances')).toBe('cats_v1_spin_instances_rel');
  });

  it('shortens names that reach 63 characters with a murmur3 hash and keeps the _rel suffix', () => {
    const names = new SqlNames('a_long_namespace_abc');
    const type = 'serverGroupsWithAVeryLongNameIndeed';
    const resource = names.resourceTable(type);
    const rel = names.relTable(type);
    expect(resource).toHaveLength(63);
    expect(rel).toHaveLength(63);
    expect(rel.endsWith('_rel')).toBe(true);
    expect(resource.startsWith('cats_v1_a_long_namespace_abc_servergroupswitha')).toBe(true);
    expect(resource).not.toBe(rel.slice(0, -4));
  });

  it('drops the _rel suffix when even a shortened name cannot keep it, as Clouddriver does', () => {
    const names = new SqlNames('a_rather_long_namespace_for_tables');
    const rel = names.relTable('serverGroupsWithAVeryLongName');
    expect(rel).toHaveLength(63);
    expect(rel.endsWith('_rel')).toBe(false);
    expect(rel).not.toBe(names.resourceTable('serverGroupsWithAVeryLongName'));
  });

  it('refuses a namespace that is not a word or cannot fit', () => {
    expect(() => new SqlNames('bad-ns')).toThrow(/can only contain/);
    expect(() => new SqlNames('n'.repeat(60))).toThrow(/too long/);
  });
});
