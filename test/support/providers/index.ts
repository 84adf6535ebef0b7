export type { ServiceKey } from './fake-key-service';
export { FakeKeyService } from './fake-key-service';
export type {
  FakeRequest,
  FakeResponse,
  FaultHandle,
  FaultSpec,
  RequestRecord,
  Route,
} from './fake-provider';
export { basicOf, bearerOf, FakeProvider, randomHex, randomToken } from './fake-provider';
export type { SendgridKey } from './fake-sendgrid';
export { FakeSendgrid, SENDGRID_MANAGEMENT_SCOPES } from './fake-sendgrid';
export { FakeStripe } from './fake-stripe';
export type { TwilioKey } from './fake-twilio';
export { FakeTwilio } from './fake-twilio';
