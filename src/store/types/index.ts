import { lockedWrite, read, type RpcTable } from '../rpc';
import { getArtifactType, getContextType, getExecutionType } from './get_type_by_name';
import { getArtifactTypesByExternalIds, getContextTypesByExternalIds, getExecutionTypesByExternalIds } from './get_types_by_external_ids';
import { getArtifactTypesById, getContextTypesById, getExecutionTypesById } from './get_types_by_id';
import { getArtifactTypes, getContextTypes, getExecutionTypes } from './list_types';
import { putArtifactType, putContextType, putExecutionType, putTypes } from './put_types';

/**
 * The four type writes (each a check-then-create under the type lock) and twelve type reads
 * (contract §4, §8.1, §8.2).
 */
export const typeRpcs: RpcTable = {
  putArtifactType: lockedWrite<'putArtifactType'>(putArtifactType),
  putExecutionType: lockedWrite<'putExecutionType'>(putExecutionType),
  putContextType: lockedWrite<'putContextType'>(putContextType),
  putTypes: lockedWrite<'putTypes'>(putTypes),
  getArtifactType: read<'getArtifactType'>(getArtifactType),
  getExecutionType: read<'getExecutionType'>(getExecutionType),
  getContextType: read<'getContextType'>(getContextType),
  getArtifactTypes: read<'getArtifactTypes'>(getArtifactTypes),
  getExecutionTypes: read<'getExecutionTypes'>(getExecutionTypes),
  getContextTypes: read<'getContextTypes'>(getContextTypes),
  getArtifactTypesById: read<'getArtifactTypesById'>(getArtifactTypesById),
  getExecutionTypesById: read<'getExecutionTypesById'>(getExecutionTypesById),
  getContextTypesById: read<'getContextTypesById'>(getContextTypesById),
  getArtifactTypesByExternalIds: read<'getArtifactTypesByExternalIds'>(getArtifactTypesByExternalIds),
  getExecutionTypesByExternalIds: read<'getExecutionTypesByExternalIds'>(getExecutionTypesByExternalIds),
  getContextTypesByExternalIds: read<'getContextTypesByExternalIds'>(getContextTypesByExternalIds),
};
