// Replication latency probe for scripts/bench (run with the Kafka jars on the class path:
// java -cp "$LIB/*" bench/LatencyProbe.java ...; Java's source launcher compiles it in memory).
//
// Two consumers on one clock: one reads the source topic on cluster A, one the remote topic on
// cluster B. For every record whose timestamp is at or after SINCE_MS, each consumer records
// (wall clock when poll() returned the record) - (record timestamp). The producer sets the
// timestamp (CreateTime) when it sends; strait and MirrorMaker 2 both copy it unchanged to the
// target. So the target numbers are "produced on A -> readable on B" and the source numbers are
// the same path without the replicator ("produced on A -> readable on A"); the difference is
// what the replicator adds.
//
// Args: SOURCE_BOOTSTRAP SOURCE_TOPIC TARGET_BOOTSTRAP TARGET_TOPIC EXPECTED TIMEOUT_MS
// Prints "ready TOPIC" on stderr per consumer once it is assigned and polling, then reads SINCE_MS
// (epoch milliseconds) as one line from stdin: only records with timestamp >= SINCE_MS are
// measured, so the caller can exclude a warm-up. Stops when the target consumer has read EXPECTED
// records (all of them, measured or not) or at the timeout; prints one JSON line on stdout.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class LatencyProbe {
    static volatile long since = Long.MAX_VALUE;

    static final class Side implements Runnable {
        final String bootstrap, topic;
        final long deadline;
        final AtomicBoolean stop;
        long[] lat = new long[1 << 16];
        int n;
        long seen;
        String error;

        Side(String bootstrap, String topic, long deadline, AtomicBoolean stop) {
            this.bootstrap = bootstrap;
            this.topic = topic;
            this.deadline = deadline;
            this.stop = stop;
        }

        public void run() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strait-bench-latency-" + topic);
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
                List<TopicPartition> parts = new ArrayList<>();
                while (parts.isEmpty() && System.currentTimeMillis() < deadline) {
                    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(5));
                    if (infos != null)
                        for (PartitionInfo i : infos) parts.add(new TopicPartition(topic, i.partition()));
                    if (parts.isEmpty()) Thread.sleep(200);
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                c.poll(Duration.ofMillis(100)).forEach(r -> seen++);
                System.err.println("ready " + topic);
                while (!stop.get() && System.currentTimeMillis() < deadline) {
                    ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(100));
                    long now = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : recs) {
                        seen++;
                        if (r.timestamp() < since) continue;
                        if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = now - r.timestamp();
                    }
                    if (isTarget && seen >= expected) stop.set(true);
                }
            } catch (Exception e) {
                error = e.toString();
            }
        }

        boolean isTarget;
        long expected;

        String json() {
            long[] s = Arrays.copyOf(lat, n);
            Arrays.sort(s);
            StringBuilder b = new StringBuilder();
            b.append("{\"records_seen\":").append(seen).append(",\"measured\":").append(n);
            if (n > 0) {
                b.append(",\"p50_ms\":").append(q(s, 0.50)).append(",\"p90_ms\":").append(q(s, 0.90))
                        .append(",\"p99_ms\":").append(q(s, 0.99)).append(",\"p999_ms\":").append(q(s, 0.999))
                        .append(",\"max_ms\":").append(s[n - 1]).append(",\"min_ms\":").append(s[0]);
                double sum = 0;
                for (long v : s) sum += v;
                b.append(",\"mean_ms\":").append(String.format("%.2f", sum / n));
            }
            if (error != null) b.append(",\"error\":\"").append(error.replace("\"", "'")).append('"');
            return b.append('}').toString();
        }

        static long q(long[] s, double q) {
            int i = (int) Math.ceil(q * s.length) - 1;
            return s[Math.max(0, Math.min(s.length - 1, i))];
        }
    }

    public static void main(String[] a) throws Exception {
        long deadline = System.currentTimeMillis() + Long.parseLong(a[5]);
        AtomicBoolean stop = new AtomicBoolean(false);
        Side src = new Side(a[0], a[1], deadline, stop);
        Side dst = new Side(a[2], a[3], deadline, stop);
        dst.isTarget = true;
        dst.expected = Long.parseLong(a[4]);
        Thread ts = new Thread(src, "source"), td = new Thread(dst, "target");
        ts.start();
        td.start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
        if (line != null) since = Long.parseLong(line.trim());
        td.join();
        stop.set(true);
        ts.join();
        System.out.println("{\"source\":" + src.json() + ",\"target\":" + dst.json() + "}");
    }
}
