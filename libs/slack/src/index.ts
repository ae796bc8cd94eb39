export { isSlackWebhookUrl, slackMessage } from './slack-message';
export type { SlackBlock } from './slack-message';
