import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A relationship as written by its source resource (server group -> instance ...). Read both
 * ways: the index on `target_key` answers "who points at me". No foreign key (a per-row check
 * would dominate bulk writes): the statements that evict a resource delete its relationships.
 */
@Entity({ name: 'cached_relationship' })
@Index('ix_cached_relationship_target', ['targetKey'])
export class CachedRelationship {
  @PrimaryColumn({ name: 'source_key', type: 'text', collation: 'C' })
  sourceKey!: string;

  @PrimaryColumn({ name: 'target_key', type: 'text', collation: 'C' })
  targetKey!: string;

  @Column({ name: 'source_type', type: 'text' })
  sourceType!: string;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;
}
