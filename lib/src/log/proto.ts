// The subset of TensorFlow's event.proto / summary.proto that TensorBoard needs for scalars and
// histograms, parsed once by protobufjs. Field numbers are TensorFlow's: do not renumber.
import * as protobuf from "protobufjs";

const SCHEMA = `
syntax = "proto3";
package tensorboard;
message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}
message Summary {
  message Value {
    string tag = 1;
    oneof value {
      float simple_value = 2;
      HistogramProto histo = 5;
    }
  }
  repeated Value value = 1;
}
message SessionLog {
  enum SessionStatus {
    STATUS_UNSPECIFIED = 0;
    START = 1;
    STOP = 2;
    CHECKPOINT = 3;
  }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
    SessionLog session_log = 7;
  }
}`;

/** HistogramProto: bucket[i] counts values in [bucketLimit[i-1], bucketLimit[i]) (the first from -∞). */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  histo?: HistogramProto;
}

/**
 * SessionLog: a START at step s tells TensorBoard that the run restarted there, so it drops the points
 * it holds at steps ≥ s (PyTorch's `SummaryWriter(purge_step=s)` writes one).
 */
export interface SessionLog {
  status: "STATUS_UNSPECIFIED" | "START" | "STOP" | "CHECKPOINT";
  checkpointPath?: string;
  msg?: string;
}

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
  sessionLog?: SessionLog;
}

/** The protobufjs types (exported so tests can decode with the same library). */
// resolveAll() applies the options ([packed]) before the first encode; without it protobufjs 7.5+
// writes repeated doubles unpacked.
export const root: protobuf.Root = protobuf.parse(SCHEMA).root;
root.resolveAll();
export const EventType: protobuf.Type = root.lookupType("tensorboard.Event");

export function encodeEvent(event: TfEvent): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/**
 * Decodes an Event. int64 steps become numbers (exact below 2^53, far beyond any step count); fields
 * left out by a writer (proto3 omits zeros) get their defaults, while oneof members stay absent.
 */
export function decodeEvent(bytes: Uint8Array): TfEvent {
  // toObject returns a loose record; its shape is the schema above, which TfEvent mirrors.
  return EventType.toObject(EventType.decode(bytes), { longs: Number, enums: String, arrays: true, defaults: true }) as TfEvent;
}
