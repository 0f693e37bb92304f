import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RouteContract } from '../http/openapi/contract';
import { loadAsyncApiDocument } from '@ipt/analytics-feed';

/** The AsyncAPI 3.0 document of the analytics feed (analytics-feed.md). */
@ApiTags('operations')
@Controller()
export class AsyncApiController {
  private readonly document = loadAsyncApiDocument();

  @Get('asyncapi.json')
  @RouteContract({
    operationId: 'getAsyncApiDocument',
    summary: 'The AsyncAPI 3.0 document of the Kafka analytics feed',
    success: { description: 'The AsyncAPI document', schema: 'AsyncApiDocument' },
  })
  asyncApi() {
    return this.document;
  }
}
