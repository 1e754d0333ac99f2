import { ApiProperty } from '@nestjs/swagger';

export class ClouddriverInstanceDto {
  @ApiProperty({ description: 'Pod name', example: 'spin-clouddriver-7d9f8b6c5-x2k4p' })
  id!: string;

  @ApiProperty({ example: 'http://10.0.3.17:7002' })
  baseUrl!: string;

  @ApiProperty({
    description: 'When this entry last changed (ISO-8601)',
    example: '2025-11-20T10:00:00.000Z',
  })
  lastUpdated!: string;

  @ApiProperty()
  ready!: boolean;
}

export class ErrorDto {
  @ApiProperty({ example: 'clouddriver_unavailable' })
  error!: string;

  @ApiProperty()
  message!: string;
}
