/** The body the edge sends to POST /internal/v1/analyze (signed). */
import { AnalysisRequestSchema, LIMITS, ProviderPreferenceSchema } from "@lanesegnet/shared";
import { z } from "zod";

export const InternalAnalyzeSchema = z.strictObject({
  request: AnalysisRequestSchema,
  /** Candidate imagery providers in the order to try (the edge's choice). */
  providers: ProviderPreferenceSchema,
  request_id: z.string().min(1).max(128),
  /** The analysis id under which the edge stores the result. */
  analysis_id: z.string().min(1).max(128).optional(),
});

export type InternalAnalyze = z.infer<typeof InternalAnalyzeSchema>;

export const DEFAULT_MIN_CONFIDENCE = 0.5;
export const DEFAULT_RESOLUTION_M = LIMITS.defaultResolutionM;
