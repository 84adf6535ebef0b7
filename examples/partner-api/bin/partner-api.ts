#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
import { PartnerApiStack } from '../lib/partner-api-stack.js';

const app = new cdk.App();
new PartnerApiStack(app, 'PartnerApi');
