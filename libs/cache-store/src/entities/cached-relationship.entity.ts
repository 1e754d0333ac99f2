import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { CachedResource } from './cached-resource.entity';

/**
 * A relationship as written by its source resource (server group -> instance ...). Read both
 * ways: the index on `target_key` answers "who points at me".
 */
@Entity({ name: 'cached_relationship' })
@Index('ix_cached_relationship_target', ['targetKey'])
export class CachedRelationship {
  @PrimaryColumn({ name: 'source_key', type: 'text', collation: 'C' })
  @ForeignKey(() => CachedResource, 'key', { onDelete: 'CASCADE', name: 'fk_cached_relationship_source' })
  sourceKey!: string;

  @PrimaryColumn({ name: 'target_key', type: 'text', collation: 'C' })
  targetKey!: string;

  @Column({ name: 'source_type', type: 'text' })
  sourceType!: string;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;
}
