import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { loadAsyncApiDocument } from '@ipt/analytics-feed';

/** The AsyncAPI 3.0 document of the analytics feed (analytics-feed.md). */
@ApiTags('operations')
@Controller()
export class AsyncApiController {
  private readonly document = loadAsyncApiDocument();

  @Get('asyncapi.json')
  asyncApi() {
    return this.document;
  }
}
