#include "ingest/otlp/sql_fingerprint.h"

#include <gtest/gtest.h>

namespace perfwatch::ingest::otlp {
namespace {

std::string Fp(std::string_view sql, bool mysql = false) {
  SqlFingerprintOptions o;
  o.mysql_quotes = mysql;
  return FingerprintSql(sql, o).text;
}

TEST(SqlFingerprintTest, ReplacesLiteralsAndNormalisesSpacing) {
  EXPECT_EQ(Fp("SELECT id, name FROM users WHERE id = 42 AND email = 'a@b.c'"),
            "select id, name from users where id = ? and email = ?");
  EXPECT_EQ(Fp("select   id,name\n\tfrom users where id=-7.5e3"), "select id, name from users where id = ?");
  EXPECT_EQ(Fp("SELECT x - 1, f(2) FROM t WHERE b = 0x1F OR c = X'ff' OR d = TRUE"),
            "select x - ?, f(?) from t where b = ? or c = ? or d = ?");
  EXPECT_EQ(Fp("SELECT 'it''s', E'a\\'b', $tag$ x'y $tag$, $$z$$ FROM t"), "select ?, ?, ?, ? from t");
  EXPECT_EQ(Fp("SELECT * FROM t WHERE a = $1 AND b = ? AND c = :name AND d::int = 3;"),
            "select * from t where a = ? and b = ? and c = ? and d :: int = ?");
  EXPECT_EQ(Fp("SELECT a -- trailing\nFROM /* inline */ t"), "select a from t");
  EXPECT_EQ(Fp("SELECT t1.col2, count(*) FROM t1 GROUP BY 1"), "select t1.col2, count(*) from t1 group by ?");
}

TEST(SqlFingerprintTest, CollapsesInListsAndValueRows) {
  EXPECT_EQ(Fp("SELECT * FROM t WHERE id IN (1, 2, 3)"), Fp("select * from t where id in (4)"));
  EXPECT_EQ(Fp("SELECT * FROM t WHERE id IN (1, 2, 3)"), "select * from t where id in (?)");
  EXPECT_EQ(Fp("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')"), "insert into t (a, b) values (?)");
  EXPECT_EQ(Fp("INSERT INTO t (a, b) VALUES ($1, $2)"), "insert into t (a, b) values (?)");
  EXPECT_EQ(Fp("SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4))"), "select * from t where (a, b) in ((?))");
}

TEST(SqlFingerprintTest, DoubleQuotesAreIdentifiersExceptInMysql) {
  EXPECT_EQ(Fp(R"(SELECT "Id" FROM "Users" WHERE "Name" = 'x')"), R"(select "Id" from "Users" where "Name" = ?)");
  EXPECT_EQ(Fp(R"(SELECT `Id` FROM t WHERE name = "bob" AND s = 'a\'b')", true),
            "select `Id` from t where name = ? and s = ?");
}

TEST(SqlFingerprintTest, OperationIsTheFirstWordUpperCased) {
  EXPECT_EQ(FingerprintSql("select 1").operation, "SELECT");
  EXPECT_EQ(FingerprintSql("  (SELECT 1) UNION (SELECT 2)").operation, "SELECT");
  EXPECT_EQ(FingerprintSql("WITH x AS (SELECT 1) SELECT * FROM x").operation, "WITH");
  EXPECT_EQ(FingerprintSql("42").operation, "");
  EXPECT_EQ(FingerprintSql("").text, "");
}

TEST(SqlFingerprintTest, TruncatesAtATokenBoundaryAndIsIdempotent) {
  std::string long_sql = "SELECT ";
  for (int i = 0; i < 100; ++i) long_sql += "column_" + std::to_string(i) + ", ";
  long_sql += "x FROM t";
  std::string fp = Fp(long_sql);
  EXPECT_LE(fp.size(), 200u);
  EXPECT_EQ(fp.substr(fp.size() - 3), "...");
  EXPECT_EQ(fp.find("column_"), 7u);
  EXPECT_EQ(Fp(fp), fp);
  for (std::string_view s : {"SELECT caf\xc3\xa9 FROM t WHERE x = 'y'", "select \"unterminated", "x = -.5 + y",
                             "SELECT * FROM t WHERE a IN (1,2) AND b::text = 'q'"}) {
    std::string once = Fp(s);
    EXPECT_EQ(Fp(once), once) << s;
  }
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
