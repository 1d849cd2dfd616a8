// An independent reader for kwire's interop tests: Kafka's own Java consumer reads whole topics
// and prints every record, so the Rust test can compare them with what kwire produced.
//
//   javac -cp "$KAFKA_LIB/*" -d CLASSES ReadTopic.java
//   java -Dlog4j2.configurationFile=LOG4J2 -cp "CLASSES:$KAFKA_LIB/*" ReadTopic BOOTSTRAP TOPIC...
//
// Assigns every partition of the topics (no consumer group), seeks to the beginning, reads with
// isolation.level=read_committed until each partition reaches its end offset (60 s at most) and
// prints, on stdout (log lines may be interleaved, hence the prefixes):
//   END <topic> <partition> <end offset>
//   REC <topic> <partition> <offset> <timestamp type> <timestamp> <key> <value> <headers>
// Keys, values and header values are hex or "null"; headers are "hexkey=hexvalue" (or
// "hexkey=null") joined by "," in record order, "-" when there are none. Header keys are
// Java Strings: they are printed as their UTF-8 encoding.
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ReadTopic {
    static final HexFormat HEX = HexFormat.of();

    static String hex(byte[] b) {
        return b == null ? "null" : HEX.formatHex(b);
    }

    static long remainingMs(long deadline) {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ReadTopic BOOTSTRAP TOPIC...");
            System.exit(64);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "strait-read-topic");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.CHECK_CRCS_CONFIG, "true");
        PrintStream out = new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20),
            false, StandardCharsets.UTF_8);
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                String topic = args[i];
                List<PartitionInfo> infos = List.of();
                while (infos == null || infos.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        System.err.println("no partitions for " + topic);
                        System.exit(2);
                    }
                    infos = consumer.partitionsFor(topic, Duration.ofMillis(remainingMs(deadline)));
                    if (infos == null || infos.isEmpty()) Thread.sleep(100);
                }
                for (PartitionInfo info : infos) parts.add(new TopicPartition(topic, info.partition()));
            }
            parts.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end =
                consumer.endOffsets(parts, Duration.ofMillis(remainingMs(deadline)));
            for (TopicPartition tp : parts) {
                out.println("END " + tp.topic() + " " + tp.partition() + " " + end.get(tp));
            }
            while (true) {
                List<TopicPartition> behind = new ArrayList<>();
                for (TopicPartition tp : parts) {
                    if (consumer.position(tp, Duration.ofMillis(remainingMs(deadline))) < end.get(tp)) {
                        behind.add(tp);
                    }
                }
                if (behind.isEmpty()) break;
                if (System.nanoTime() > deadline) {
                    out.flush();
                    System.err.println("timed out after 60 s; not at the end offset: " + behind);
                    System.exit(3);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    StringBuilder line = new StringBuilder(64);
                    line.append("REC ").append(r.topic()).append(' ').append(r.partition())
                        .append(' ').append(r.offset()).append(' ').append(r.timestampType().name)
                        .append(' ').append(r.timestamp()).append(' ').append(hex(r.key()))
                        .append(' ').append(hex(r.value())).append(' ');
                    boolean first = true;
                    for (Header h : r.headers()) {
                        if (!first) line.append(',');
                        first = false;
                        line.append(hex(h.key().getBytes(StandardCharsets.UTF_8)))
                            .append('=').append(hex(h.value()));
                    }
                    if (first) line.append('-');
                    out.println(line);
                }
            }
        }
        out.flush();
        if (out.checkError()) System.exit(4);
    }
}
