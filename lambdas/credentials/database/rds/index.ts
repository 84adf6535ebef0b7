export type { DbClusterInfo, DbInstanceInfo, Endpoint, RdsDiscovery, RdsDiscoveryClients } from './discovery';
export type {
  DatabaseLocator,
  DatabaseLocatorOptions,
  EngineFamily,
  RdsNames,
  ReadOnlyServer,
  ReplicationWait,
  SecretLocation,
  WriterRequest,
} from './locator';
export {
  assertLocatable,
  at,
  awaitReplica,
  changeOnWriter,
  createDatabaseLocator,
  describeEndpoint,
  MasterEndpointError,
  namesRdsDatabase,
  RDS_ENGINES,
  RDS_MASTER_SECRET_TAGS,
  ReadReplicaError,
  sameEndpoint,
} from './locator';
